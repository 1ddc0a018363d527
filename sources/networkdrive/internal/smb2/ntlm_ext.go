// Additions to go-smb2 v1.1.0 for the network_drive source (see README.md).

package smb2

import (
	"errors"

	"github.com/connectors-go/connectors/sources/networkdrive/internal/smb2/internal/ntlm"
)

// NTLMClient authenticates with NTLM outside SMB (WinRM over HTTP) and seals the messages of
// the session it sets up.
type NTLMClient struct {
	c      *ntlm.Client
	sealer *ntlm.Sealer
}

// NewNTLMClient returns a client for the account; domain may be empty (the server's).
func NewNTLMClient(user, password, domain string) *NTLMClient {
	return &NTLMClient{c: &ntlm.Client{User: user, Password: password, Domain: domain}}
}

// Negotiate returns the first message, asking for sealing.
func (n *NTLMClient) Negotiate() ([]byte, error) { return n.c.NegotiateSeal() }

// Authenticate answers the server's challenge; afterwards Seal and Unseal work.
func (n *NTLMClient) Authenticate(challenge []byte) ([]byte, error) {
	amsg, err := n.c.Authenticate(challenge)
	if err != nil {
		return nil, err
	}
	if n.sealer, err = ntlm.NewSealer(n.c.Session()); err != nil {
		return nil, err
	}
	return amsg, nil
}

// Seal encrypts a message for the server.
func (n *NTLMClient) Seal(msg []byte) (signature, sealed []byte, err error) {
	if n.sealer == nil {
		return nil, nil, errors.New("ntlm: not authenticated")
	}
	signature, sealed = n.sealer.Seal(msg)
	return signature, sealed, nil
}

// Unseal decrypts a message from the server.
func (n *NTLMClient) Unseal(signature, sealed []byte) ([]byte, error) {
	if n.sealer == nil {
		return nil, errors.New("ntlm: not authenticated")
	}
	return n.sealer.Unseal(signature, sealed)
}

// NTLMServer is the server side, for tests that stand in for a Windows server.
type NTLMServer struct {
	s      *ntlm.Server
	sealer *ntlm.Sealer
}

// NewNTLMServer returns a server that accepts the given accounts (user -> password).
func NewNTLMServer(target string, accounts map[string]string) *NTLMServer {
	s := ntlm.NewServer(target)
	for u, p := range accounts {
		s.AddAccount(u, p)
	}
	return &NTLMServer{s: s}
}

// Challenge answers a client's first message.
func (n *NTLMServer) Challenge(negotiate []byte) ([]byte, error) { return n.s.Challenge(negotiate) }

// Authenticate checks the client's answer; afterwards Seal and Unseal work.
func (n *NTLMServer) Authenticate(authenticate []byte) error {
	if err := n.s.Authenticate(authenticate); err != nil {
		return err
	}
	var err error
	n.sealer, err = ntlm.NewSealer(n.s.Session())
	return err
}

// Seal encrypts a message for the client.
func (n *NTLMServer) Seal(msg []byte) (signature, sealed []byte) { return n.sealer.Seal(msg) }

// Unseal decrypts a message from the client.
func (n *NTLMServer) Unseal(signature, sealed []byte) ([]byte, error) {
	return n.sealer.Unseal(signature, sealed)
}
