package networkdrive

import (
	"context"
	"errors"
)

type winrmClient struct{ host, user, password string }

func newWinRM(host, user, password string) *winrmClient {
	return &winrmClient{host: host, user: user, password: password}
}

func (c *winrmClient) LocalUsers(ctx context.Context) ([]Account, error) {
	return nil, errors.New("not yet")
}
func (c *winrmClient) LocalGroups(ctx context.Context) ([]Account, error) {
	return nil, errors.New("not yet")
}
func (c *winrmClient) GroupMembers(ctx context.Context, g string) ([]Account, error) {
	return nil, errors.New("not yet")
}
