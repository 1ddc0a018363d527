package cli

import "fmt"

// listSources and printDefaultConfiguration need the source registry of the
// connector SDK; they are wired once it lands.
func (a *App) listSources() error {
	return fmt.Errorf("--action list: the source registry is not part of this build yet")
}

func (a *App) printDefaultConfiguration(serviceType string) error {
	return fmt.Errorf("--action config: the source registry is not part of this build yet (service type %q)", serviceType)
}
