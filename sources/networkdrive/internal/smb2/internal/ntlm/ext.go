// Additions to go-smb2 v1.1.0 for the network_drive source (see ../../README.md): NTLM message
// confidentiality (MS-NLMP 3.4.3, sealing), which WinRM over HTTP uses for its bodies.

package ntlm

import (
	"bytes"
	"errors"
)

// NegotiateSeal is Negotiate with NTLMSSP_NEGOTIATE_SEAL added to the flags, for a session
// that will seal messages.
func (c *Client) NegotiateSeal() ([]byte, error) {
	nmsg, err := c.Negotiate()
	if err != nil {
		return nil, err
	}
	le.PutUint32(nmsg[12:16], le.Uint32(nmsg[12:16])|NTLMSSP_NEGOTIATE_SEAL)
	return nmsg, nil
}

// Sealer seals and unseals messages of one side of an authenticated session, each direction
// with its own sequence number.
type Sealer struct {
	s                *Session
	sendSeq, recvSeq uint32
}

// NewSealer returns the sealer of s; s must have negotiated sealing.
func NewSealer(s *Session) (*Sealer, error) {
	if s == nil || s.negotiateFlags&NTLMSSP_NEGOTIATE_SEAL == 0 {
		return nil, errors.New("ntlm: the session did not negotiate sealing")
	}
	return &Sealer{s: s}, nil
}

// Seal encrypts msg for the peer and returns the 16-byte signature and the ciphertext.
func (z *Sealer) Seal(msg []byte) (signature, sealed []byte) {
	s := z.s
	h, key := s.clientHandle, s.clientSigningKey
	if !s.isClientSide {
		h, key = s.serverHandle, s.serverSigningKey
	}
	sealed = make([]byte, len(msg))
	h.XORKeyStream(sealed, msg)
	signature, _ = mac(nil, s.negotiateFlags, h, key, z.sendSeq, msg)
	z.sendSeq++
	return signature, sealed
}

// Unseal decrypts a message from the peer and checks its signature.
func (z *Sealer) Unseal(signature, sealed []byte) ([]byte, error) {
	s := z.s
	h, key := s.serverHandle, s.serverSigningKey
	if !s.isClientSide {
		h, key = s.clientHandle, s.clientSigningKey
	}
	msg := make([]byte, len(sealed))
	h.XORKeyStream(msg, sealed)
	want, _ := mac(nil, s.negotiateFlags, h, key, z.recvSeq, msg)
	if !bytes.Equal(want, signature) {
		return nil, errors.New("ntlm: message signature mismatch")
	}
	z.recvSeq++
	return msg, nil
}
