package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/internal/protocol"
	syncer "github.com/connectors-go/connectors/internal/sync"
)

func (a *App) jobCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Start, list, wait for, cancel and inspect sync jobs",
		Long:  "Start, list, wait for, cancel and inspect sync jobs.\n\n" + operatorConfigHelp,
	}
	var connectorID, jobType string
	var wait waitOptions
	start := &cobra.Command{
		Use:   "start",
		Short: "Queue a sync job for a connector (a running service picks it up)",
		Long: `Creates a pending on_demand sync job for a connector; a running service picks it up.
With --wait, follows it as 'job wait' does and exits with its outcome.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.startJob(cmd, connectorID, jobType, wait)
		},
	}
	sf := start.Flags()
	sf.StringVarP(&connectorID, "connector-id", "i", "", "connector id (required)")
	sf.StringVarP(&jobType, "job-type", "t", "", "job type: full, incremental or access_control (required)")
	sf.BoolVar(&wait.enabled, "wait", false, "wait for the job to end, showing its progress, and exit 1 unless it completed")
	wait.flags(sf)
	_ = start.MarkFlagRequired("connector-id")
	_ = start.MarkFlagRequired("job-type")
	_ = start.RegisterFlagCompletionFunc("job-type", completeJobTypes)
	_ = start.RegisterFlagCompletionFunc("connector-id", a.completeConnectorIDs)

	list := &cobra.Command{
		Use:   "list CONNECTOR_ID",
		Short: "List a connector's sync jobs, oldest first",
		Long: `Lists a connector's sync jobs, oldest first. Besides the original's columns, the table
shows the instance that ran each job, how often it was taken over from a lost worker,
and how many parts of its listing could not be read (nothing is deleted then).
-o json prints each job as 'job view -o json' does.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeConnectorIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.listJobs(cmd, args[0])
		},
	}

	var yes bool
	cancel := &cobra.Command{
		Use:   "cancel JOB_ID",
		Short: "Cancel a sync job (pending or suspended: at once; running: the worker stops it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.cancelJob(cmd, args[0], yes)
		},
	}
	cancel.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")

	view := &cobra.Command{
		Use:   "view JOB_ID",
		Short: "Show a sync job",
		Long: `Shows a sync job: the original's fields, then what this service records in the job's
metadata: the worker instance that claimed it, how often it was taken over from a worker
that stopped reporting (takeovers), the parts of the listing that could not be read
(incomplete_listing, and whether deletions were skipped for them), whether a run resumed
from a source's checkpoint skipped the deletion of stale documents
(resumed_from_checkpoint), and its history of events (claimed, with resumed_from for a resumed job; worker_lost, with who noticed,
after how long and the outcome; ended, with the status written).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.viewJob(cmd, args[0])
		},
	}

	var w waitOptions
	waitCmd := &cobra.Command{
		Use:   "wait JOB_ID",
		Short: "Follow a sync job until it ends; exit 1 unless it completed",
		Long: `Follows a sync job until it is completed, canceled or in error. On a terminal one line
shows its live progress (status, documents indexed and deleted, rate, elapsed time);
otherwise a plain line is printed whenever the counts or the status change. The job's
final state is printed at the end (as 'job view' does, or its JSON with -o json).

Exit status: 0 when the job completed, 1 when it ended in error or was canceled, 3 when
--timeout passed first. A suspended job is waited for: a service resumes it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := a.jobStore(cmd)
			if err != nil {
				return err
			}
			return a.waitJob(cmd.Context(), store, args[0], w)
		},
	}
	w.flags(waitCmd.Flags())
	cmd.AddCommand(start, list, waitCmd, cancel, view)
	return cmd
}

func (a *App) jobStore(cmd *cobra.Command) (*protocol.Store, error) {
	env, err := a.operator(cmd)
	if err != nil {
		return nil, err
	}
	return env.Store(cmd.Context())
}

func (a *App) startJob(cmd *cobra.Command, connectorID, jobType string, wait waitOptions) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	t, err := protocol.ParseJobType(jobType)
	if err != nil {
		return usagef("-t/--job-type: %v", err)
	}
	store, err := a.jobStore(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	c, err := store.GetConnector(ctx, connectorID)
	if errors.Is(err, protocol.ErrNotFound) {
		return fmt.Errorf("connector %s not found", connectorID)
	}
	if err != nil {
		return err
	}
	id, err := store.CreateJob(ctx, c, t, protocol.TriggerOnDemand)
	if err != nil {
		return err
	}
	switch {
	case wait.enabled:
		// The final state is the output; the id goes to stderr so that a
		// script reading JSON from stdout gets one document.
		fmt.Fprintf(a.Stderr, "The job %s has been started.\n", id)
		return a.waitJob(ctx, store, id, wait)
	case asJSON:
		return writeJSON(a, map[string]string{"id": id})
	}
	fmt.Fprintf(a.Stdout, "The job %s has been started.\n", id)
	return nil
}

func (a *App) listJobs(cmd *cobra.Command, connectorID string) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	env, err := a.operator(cmd)
	if err != nil {
		return err
	}
	store, err := env.Store(cmd.Context())
	if err != nil {
		return err
	}
	env.refresh(cmd.Context(), protocol.JobsAlias)
	jobs, err := store.ListJobs(cmd.Context(), protocol.JobQuery{ConnectorIDs: []string{connectorID}})
	if err != nil {
		return fmt.Errorf("cannot list the jobs of connector %s: %w", connectorID, err)
	}
	if asJSON {
		views := make([]jobView, len(jobs))
		for i, j := range jobs {
			views[i] = viewOf(j)
		}
		return writeJSON(a, views)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(a.Stdout, "No jobs found")
		return nil
	}
	fmt.Fprintf(a.Stdout, "Showing %d jobs\n", len(jobs))
	t := newTable(a.Stdout)
	t.Header("Job id", "Connector id", "Index name", "Job status", "Job type", "Documents indexed", "Volume documents indexed (MiB)", "Documents deleted",
		"Worker instance", "Takeovers", "Unread parts")
	for _, j := range jobs {
		unread := "-"
		if inc := incompleteOf(j); inc != nil {
			unread = strconv.Itoa(inc.Count)
			if inc.DeletionsSkipped {
				unread += " (no deletions)"
			}
		}
		if err := t.Append(j.ID, j.Connector.ID, j.Connector.IndexName, string(j.Status), string(j.JobType),
			strconv.FormatInt(j.IndexedDocumentCount, 10), strconv.FormatInt(j.IndexedDocumentVolume, 10),
			strconv.FormatInt(j.DeletedDocumentCount, 10), orDash(strPtr(j.Instance())), strconv.Itoa(j.Takeovers()), unread); err != nil {
			return err
		}
	}
	return t.Render()
}

func (a *App) cancelJob(cmd *cobra.Command, jobID string, yes bool) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	store, err := a.jobStore(cmd)
	if err != nil {
		return err
	}
	// With -o json the outcome is one document: the job, the status it had
	// and the status it has now.
	outcome := func(from, to protocol.JobStatus, text string) error {
		if asJSON {
			return writeJSON(a, map[string]any{"job_id": jobID, "previous_status": from, "job_status": to})
		}
		fmt.Fprintln(a.Stdout, text)
		return nil
	}
	ctx := cmd.Context()
	confirmed := yes
	for attempt := 1; ; attempt++ {
		j, err := getJob(ctx, store, jobID)
		if err != nil {
			return err
		}
		switch {
		case j.Status.Terminal():
			return fmt.Errorf("sync job %s is already %s: there is nothing to cancel", jobID, j.Status)
		case j.Status == protocol.JobCanceling:
			return outcome(j.Status, j.Status, fmt.Sprintf("The job %s is already being canceled.", jobID))
		}
		if !confirmed {
			ok, err := a.prompter(cmd).confirm(fmt.Sprintf("Are you sure you want to cancel job %s (%s)?", jobID, j.Status))
			if err != nil {
				return err
			}
			if !ok {
				return a.aborted()
			}
			confirmed = true
		}
		err = store.SetJobCanceling(ctx, j)
		if errors.Is(err, protocol.ErrConflict) && attempt < 3 {
			continue // the job moved on meanwhile: decide again on its new state
		}
		if err != nil {
			return fmt.Errorf("cannot cancel sync job %s: %w", jobID, err)
		}
		if j.Status == protocol.JobInProgress {
			return outcome(j.Status, protocol.JobCanceling, fmt.Sprintf("The job %s is being canceled: the worker running it will stop it and mark it canceled.", jobID))
		}
		return outcome(j.Status, protocol.JobCanceled, fmt.Sprintf("The job %s has been canceled.", jobID))
	}
}

func getJob(ctx context.Context, store *protocol.Store, id string) (*protocol.Job, error) {
	j, err := store.GetJob(ctx, id)
	if errors.Is(err, protocol.ErrNotFound) {
		return nil, fmt.Errorf("sync job %s not found", id)
	}
	return j, err
}

// jobView is job view's JSON: the original's keys first, in its order, then
// ours: the worker instance, the takeovers and history this service records in
// the job's metadata, and what the listing could not read.
type jobView struct {
	JobID                  string  `json:"job_id"`
	ConnectorID            string  `json:"connector_id"`
	IndexName              string  `json:"index_name"`
	JobStatus              string  `json:"job_status"`
	JobType                string  `json:"job_type"`
	DocumentsIndexed       int64   `json:"documents_indexed"`
	VolumeDocumentsIndexed int64   `json:"volume_documents_indexed"`
	DocumentsDeleted       int64   `json:"documents_deleted"`
	TotalDocuments         *int64  `json:"total_document_count"`
	TriggerMethod          string  `json:"trigger_method"`
	Error                  *string `json:"error"`
	WorkerHostname         *string `json:"worker_hostname"`
	CreatedAt              *string `json:"created_at"`
	StartedAt              *string `json:"started_at"`
	CompletedAt            *string `json:"completed_at"`

	WorkerInstance    *string                   `json:"worker_instance"`
	Takeovers         int                       `json:"takeovers"`
	IncompleteListing *syncer.IncompleteListing `json:"incomplete_listing"`
	// ResumedFromCheckpoint is null unless the job's last run continued
	// from a source's checkpoint.
	ResumedFromCheckpoint *syncer.ResumedFromCheckpoint `json:"resumed_from_checkpoint"`
	History               []jobEvent                    `json:"history"`
}

// jobEvent is one event of metadata.history: claimed (with resumed_from when
// a suspended job was picked up again), worker_lost (who noticed, after how
// long, and what became of the job) and ended (with the status written).
type jobEvent struct {
	At            string `json:"at"`
	Event         string `json:"event"`
	Instance      string `json:"instance,omitempty"`
	Hostname      string `json:"hostname,omitempty"`
	Status        string `json:"status,omitempty"`
	ResumedFrom   string `json:"resumed_from,omitempty"`
	DetectedBy    string `json:"detected_by,omitempty"`
	SilentSeconds *int64 `json:"silent_seconds,omitempty"`
	LastSeen      string `json:"last_seen,omitempty"`
	Outcome       string `json:"outcome,omitempty"`
}

// details is an event's fields beyond when, what and which instance, as text.
func (e jobEvent) details() string {
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	add("host ", e.Hostname)
	add("status ", e.Status)
	add("resumed from ", e.ResumedFrom)
	if e.SilentSeconds != nil {
		parts = append(parts, fmt.Sprintf("silent for %d s", *e.SilentSeconds))
	}
	add("last seen ", e.LastSeen)
	add("detected by ", e.DetectedBy)
	add("outcome ", e.Outcome)
	return strings.Join(parts, ", ")
}

// historyOf reads metadata.history. Events are stored as JSON objects;
// a field of an unexpected type is left out rather than failing the view.
func historyOf(j *protocol.Job) []jobEvent {
	hist := j.History()
	out := make([]jobEvent, 0, len(hist))
	for _, m := range hist {
		str := func(k string) string { v, _ := m[k].(string); return v }
		e := jobEvent{At: str("at"), Event: str("event"), Instance: str("instance"), Hostname: str("hostname"),
			Status: str("status"), ResumedFrom: str("resumed_from"), DetectedBy: str("detected_by"),
			LastSeen: str("last_seen"), Outcome: str("outcome")}
		switch n := m["silent_seconds"].(type) {
		case float64:
			s := int64(n)
			e.SilentSeconds = &s
		case json.Number:
			if s, err := n.Int64(); err == nil {
				e.SilentSeconds = &s
			}
		}
		out = append(out, e)
	}
	return out
}

// incompleteOf reads metadata.incomplete_listing, nil when the job's listing
// was complete (or the value is not of the shape the engine writes).
func incompleteOf(j *protocol.Job) *syncer.IncompleteListing {
	raw, ok := j.Metadata["incomplete_listing"]
	if !ok || raw == nil {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil
	}
	var inc syncer.IncompleteListing
	if json.Unmarshal(b, &inc) != nil {
		return nil
	}
	return &inc
}

// resumedOf reads metadata.resumed_from_checkpoint, nil when the job's last
// run did not resume from a checkpoint (or the value is not of the shape the
// engine writes).
func resumedOf(j *protocol.Job) *syncer.ResumedFromCheckpoint {
	raw, ok := j.Metadata["resumed_from_checkpoint"]
	if !ok || raw == nil {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil
	}
	var r syncer.ResumedFromCheckpoint
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}

func (a *App) viewJob(cmd *cobra.Command, jobID string) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	store, err := a.jobStore(cmd)
	if err != nil {
		return err
	}
	j, err := getJob(cmd.Context(), store, jobID)
	if err != nil {
		return err
	}
	return a.printJob(j, asJSON)
}

func viewOf(j *protocol.Job) jobView {
	return jobView{
		JobID: j.ID, ConnectorID: j.Connector.ID, IndexName: j.Connector.IndexName,
		JobStatus: string(j.Status), JobType: string(j.JobType),
		DocumentsIndexed: j.IndexedDocumentCount, VolumeDocumentsIndexed: j.IndexedDocumentVolume,
		DocumentsDeleted: j.DeletedDocumentCount, TotalDocuments: j.TotalDocumentCount,
		TriggerMethod: string(j.TriggerMethod), Error: j.Error, WorkerHostname: j.WorkerHostname,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, CompletedAt: j.CompletedAt,
		WorkerInstance: strPtr(j.Instance()), Takeovers: j.Takeovers(),
		IncompleteListing: incompleteOf(j), ResumedFromCheckpoint: resumedOf(j), History: historyOf(j),
	}
}

// strPtr is s, or nil (JSON null, "-" in text) when it is empty.
func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// printJob prints a job as job view shows it.
func (a *App) printJob(j *protocol.Job, asJSON bool) error {
	v := viewOf(j)
	if asJSON {
		return writeJSON(a, v)
	}
	t := newTable(a.Stdout)
	rows := [][2]string{
		{"Job id", v.JobID},
		{"Connector id", v.ConnectorID},
		{"Index name", v.IndexName},
		{"Job status", v.JobStatus},
		{"Job type", v.JobType},
		{"Documents indexed", strconv.FormatInt(v.DocumentsIndexed, 10)},
		{"Volume documents indexed (MiB)", strconv.FormatInt(v.VolumeDocumentsIndexed, 10)},
		{"Documents deleted", strconv.FormatInt(v.DocumentsDeleted, 10)},
		{"Trigger method", v.TriggerMethod},
		{"Worker", orDash(v.WorkerHostname)},
		{"Worker instance", orDash(v.WorkerInstance)},
		{"Created at", orDash(v.CreatedAt)},
		{"Started at", orDash(v.StartedAt)},
		{"Completed at", orDash(v.CompletedAt)},
	}
	if v.TotalDocuments != nil {
		rows = append(rows, [2]string{"Documents in the index", strconv.FormatInt(*v.TotalDocuments, 10)})
	}
	if v.Error != nil {
		rows = append(rows, [2]string{"Error", *v.Error})
	}
	if v.Takeovers > 0 {
		rows = append(rows, [2]string{"Takeovers", strconv.Itoa(v.Takeovers)})
	}
	if inc := v.IncompleteListing; inc != nil {
		rows = append(rows, [2]string{"Incomplete listing", incompleteSummary(inc)})
		for _, p := range inc.Parts {
			rows = append(rows, [2]string{"Unread", p.Scope + ": " + p.Error})
		}
	}
	if r := v.ResumedFromCheckpoint; r != nil && r.DeletionsSkipped {
		rows = append(rows, [2]string{"Resumed from checkpoint", "no stale document was deleted (the ids listed before the checkpoint are not known)"})
	}
	for _, r := range rows {
		if err := t.Append(r[0], r[1]); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(v.History) == 0 {
		return nil
	}
	fmt.Fprintln(a.Stdout, "History")
	h := newTable(a.Stdout)
	h.Header("At", "Event", "Instance", "Details")
	for _, e := range v.History {
		if err := h.Append(e.At, e.Event, e.Instance, e.details()); err != nil {
			return err
		}
	}
	return h.Render()
}

// incompleteSummary says how much of the listing was unread and whether
// deletions were skipped for it.
func incompleteSummary(inc *syncer.IncompleteListing) string {
	msg := fmt.Sprintf("%d part(s) could not be read", inc.Count)
	if inc.Count > len(inc.Parts) {
		msg += fmt.Sprintf(" (the first %d listed)", len(inc.Parts))
	}
	if inc.DeletionsSkipped {
		msg += "; no document was deleted"
	}
	return msg
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

// writeJSON prints v indented by four spaces, as the original does, with
// <, > and & as themselves (this is for terminals and scripts, not HTML).
func writeJSON(a *App, v any) error {
	enc := json.NewEncoder(a.Stdout)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
