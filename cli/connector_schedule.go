package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/cron"
	"github.com/connectors-go/connectors/internal/protocol"
)

// scheduleKinds are the schedules of a connector, with their flags.
var scheduleKinds = []struct {
	flag string
	kind protocol.JobType
}{
	{"full", protocol.JobFull},
	{"incremental", protocol.JobIncremental},
	{"access-control", protocol.JobAccessControl},
}

func (a *App) connectorScheduleCommand() *cobra.Command {
	values := map[protocol.JobType]*string{}
	cmd := &cobra.Command{
		Use:   "schedule CONNECTOR_ID",
		Short: "Show or set a connector's sync schedules (Quartz cron, UTC)",
		Long: `Shows a connector's three schedules (full, incremental, access control) with their
next runs, or changes them:

  --full "0 0 * * * ?"     run a full sync at the start of every hour (and enable it)
  --full on|off            enable or disable the full sync schedule, keeping its interval

--incremental and --access-control work the same way. An expression is checked with the
rules Elasticsearch applies when Kibana saves a schedule (Quartz: seconds minutes hours
day-of-month month day-of-week [year], exactly one of day-of-month and day-of-week is
"?"), in UTC as the service evaluates it. An incremental schedule can be enabled only
for a source that supports incremental syncs, an access-control schedule only when the
connector has document-level security on.

` + operatorConfigHelp,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeConnectorIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			set := map[protocol.JobType]string{}
			for _, k := range scheduleKinds {
				if cmd.Flags().Changed(k.flag) {
					set[k.kind] = strings.TrimSpace(*values[k.kind])
				}
			}
			return a.schedule(cmd, args[0], set)
		},
	}
	for _, k := range scheduleKinds {
		values[k.kind] = new(string)
		cmd.Flags().StringVar(values[k.kind], k.flag, "", fmt.Sprintf("cron expression for %s syncs (enables them), or on/off", strings.ReplaceAll(k.flag, "-", " ")))
	}
	return cmd
}

// scheduleView is one schedule as the command prints it.
type scheduleView struct {
	Enabled  bool     `json:"enabled"`
	Interval string   `json:"interval"`
	Next     []string `json:"next_runs"`
	Problem  string   `json:"problem,omitempty"`
}

func (a *App) schedule(cmd *cobra.Command, id string, set map[protocol.JobType]string) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	// Expressions are checked before anything is read or written.
	for kind, v := range set {
		switch strings.ToLower(v) {
		case "on", "off":
			continue
		}
		if err := cron.Validate(v); err != nil {
			return usagef("--%s %q: %v", flagOf(kind), v, err)
		}
	}
	env, err := a.operator(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	store, c, err := env.connector(ctx, id)
	if err != nil {
		return err
	}
	if len(set) > 0 {
		features := featuresOf(c)
		if f, ok := connector.Lookup(c.Type()); ok {
			features.IncrementalSync = features.IncrementalSync && f.Features.IncrementalSync
		}
		next := c.Scheduling
		for kind, v := range set {
			s := scheduleOf(&next, kind)
			switch strings.ToLower(v) {
			case "on":
				s.Enabled = true
			case "off":
				s.Enabled = false
			default:
				s.Enabled, s.Interval = true, v
			}
			if s.Enabled {
				if s.Interval == "" {
					return usagef("--%s on: the %s schedule has no interval yet; give a cron expression", flagOf(kind), kind)
				}
				if err := cron.Validate(s.Interval); err != nil {
					return fmt.Errorf("the stored %s schedule %q is not valid (%v): give a new expression", kind, s.Interval, err)
				}
				switch {
				case kind == protocol.JobIncremental && !features.IncrementalSync:
					return fmt.Errorf("connector %s (%s) does not support incremental syncs: its incremental schedule cannot be enabled", id, dash(c.Type()))
				case kind == protocol.JobAccessControl && !features.DocumentLevelSecurity:
					return fmt.Errorf("connector %s has document-level security off: its access-control schedule cannot be enabled", id)
				}
			}
		}
		body := map[string]any{"scheduling": map[string]any{
			"full":           scheduleDoc(next.Full),
			"incremental":    scheduleDoc(next.Incremental),
			"access_control": scheduleDoc(next.AccessControl),
		}}
		if err := env.writeConnector(ctx, store, id, "scheduling", body); err != nil {
			return err
		}
		c.Scheduling = next
	}
	now := time.Now().UTC()
	views := map[string]scheduleView{}
	for _, k := range scheduleKinds {
		views[string(k.kind)] = viewSchedule(c.Scheduling.For(k.kind), now)
	}
	if asJSON {
		return writeJSON(a, map[string]any{"connector_id": id, "scheduling": views})
	}
	if len(set) > 0 {
		fmt.Fprintf(a.Stdout, "The schedules of connector %s have been updated.\n", id)
	}
	t := newTable(a.Stdout)
	t.Header("Sync type", "Enabled", "Interval (UTC)", "Next runs (UTC)")
	for _, k := range scheduleKinds {
		v := views[string(k.kind)]
		next := strings.Join(v.Next, ", ")
		if v.Problem != "" {
			next = v.Problem
		}
		if err := t.Append(string(k.kind), yesNo(v.Enabled), dash(v.Interval), dash(next)); err != nil {
			return err
		}
	}
	return t.Render()
}

func flagOf(kind protocol.JobType) string {
	return strings.ReplaceAll(string(kind), "_", "-")
}

func scheduleOf(s *protocol.Scheduling, kind protocol.JobType) *protocol.Schedule {
	switch kind {
	case protocol.JobIncremental:
		return &s.Incremental
	case protocol.JobAccessControl:
		return &s.AccessControl
	}
	return &s.Full
}

// scheduleDoc writes a schedule with the default interval Kibana gives an
// unset one, since Elasticsearch requires an interval.
func scheduleDoc(s protocol.Schedule) map[string]any {
	interval := s.Interval
	if interval == "" {
		interval = "0 0 0 * * ?"
	}
	return map[string]any{"enabled": s.Enabled, "interval": interval}
}

// viewSchedule lists the next three runs of an enabled schedule.
func viewSchedule(s protocol.Schedule, now time.Time) scheduleView {
	v := scheduleView{Enabled: s.Enabled, Interval: s.Interval, Next: []string{}}
	if !s.Enabled || s.Interval == "" {
		return v
	}
	sched, err := cron.Parse(s.Interval)
	if err != nil {
		v.Problem = "invalid: " + err.Error()
		return v
	}
	t := now
	for len(v.Next) < 3 {
		n, ok := sched.Next(t)
		if !ok {
			break
		}
		v.Next = append(v.Next, n.Format("2006-01-02 15:04"))
		t = n.Add(time.Second)
	}
	if len(v.Next) == 0 {
		v.Problem = "never runs again"
	}
	return v
}
