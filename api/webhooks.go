package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/publisher/webhook"
)

// Webhooks manages webhook endpoints and their dead letters.
// *webhook.Dispatcher implements it.
type Webhooks interface {
	EndpointStatuses(ctx context.Context) []webhook.Status
	// EndpointStatus fails with webhook.ErrNotFound for an unknown id.
	EndpointStatus(ctx context.Context, id string) (webhook.Status, error)
	// CreateEndpoint fails with *webhook.InvalidError or webhook.ErrExists.
	CreateEndpoint(ctx context.Context, e webhook.Endpoint) (webhook.Status, error)
	// DeleteEndpoint fails with webhook.ErrNotFound or webhook.ErrConfigured.
	DeleteEndpoint(ctx context.Context, id, by string) error
	// EnableEndpoint, DisableEndpoint fail with webhook.ErrNotFound.
	EnableEndpoint(ctx context.Context, id, by string) (webhook.Status, error)
	DisableEndpoint(ctx context.Context, id, by string) (webhook.Status, error)
	DeadLetters(ctx context.Context, endpoint string, after uint64, limit int) ([]webhook.DeadLetter, bool, error)
	// Redeliver, DiscardDeadLetter fail with webhook.ErrNoDeadLetter for
	// an unknown sequence.
	Redeliver(ctx context.Context, endpoint string, seq uint64, by string) (webhook.Redelivery, error)
	RedeliverAll(ctx context.Context, endpoint string) ([]webhook.Redelivery, bool, error)
	DiscardDeadLetter(ctx context.Context, endpoint string, seq uint64, by string) error
}

var _ Webhooks = (*webhook.Dispatcher)(nil)

// Limits of the webhook API.
const (
	maxWebhookBody        = 64 << 10
	defaultDeadLetterPage = 100
	maxDeadLetterPage     = 1000
	// redeliverAllLimit keeps a redelivery of every dead letter within the
	// server's write timeout.
	redeliverAllLimit = 20 * time.Second
)

// Delivery states of an endpoint (webhookView.State).
const (
	webhookActive   = "active"   // delivering
	webhookFailing  = "failing"  // its attempts fail for several schedules: probed until it answers
	webhookDisabled = "disabled" // 410 Gone or an admin: nothing is sent until enabled
)

// disabledView says why and since when an endpoint is disabled.
type disabledView struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"` // gone (410) or admin
	Status int       `json:"status,omitempty"`
	By     string    `json:"by,omitempty"`
}

// webhookView is an endpoint as the API shows it: never the secret, and
// the URL without its query string, which often carries a receiver's token.
type webhookView struct {
	ID          string           `json:"id"`
	URL         string           `json:"url"`
	SecretHint  string           `json:"secretHint"`
	Schedules   []string         `json:"schedules"`
	Types       []string         `json:"types"`
	Source      string           `json:"source"`
	CreatedAt   time.Time        `json:"createdAt,omitzero"`
	CreatedBy   string           `json:"createdBy,omitempty"`
	State       string           `json:"state"`
	Disabled    *disabledView    `json:"disabled,omitempty"`
	Failing     *webhook.Failing `json:"failing,omitempty"`
	Consumer    string           `json:"consumer"`
	Backlog     *uint64          `json:"backlog,omitempty"`
	DeadLetters *uint64          `json:"deadLetters,omitempty"`
}

func viewWebhook(st webhook.Status) webhookView {
	e := st.Endpoint
	v := webhookView{ID: e.ID, URL: webhook.RedactURL(e.URL), SecretHint: e.SecretHint(), Schedules: e.Schedules, Types: e.Types,
		Source: e.Source, CreatedAt: e.CreatedAt, CreatedBy: e.CreatedBy, State: webhookActive,
		Failing: st.State.Failing, Consumer: st.Consumer, Backlog: st.Backlog, DeadLetters: st.DeadLetters}
	if d := st.State.Disabled; d != nil {
		v.Disabled = &disabledView{At: d.At, Reason: d.Reason, Status: d.Status, By: d.By}
	}
	switch {
	case v.Disabled != nil:
		v.State = webhookDisabled
	case v.Failing != nil:
		v.State = webhookFailing
	}
	if v.Schedules == nil {
		v.Schedules = []string{}
	}
	if v.Types == nil {
		v.Types = []string{}
	}
	return v
}

// webhooksEnabled answers 404 when the service runs without webhooks.
func (s *Server) webhooksEnabled(w http.ResponseWriter) bool {
	if s.webhooks == nil {
		writeError(w, http.StatusNotFound, "webhooks are disabled on this service (webhooks.disabled)")
		return false
	}
	return true
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, _ principal) {
	if !s.webhooksEnabled(w) {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	sts := s.webhooks.EndpointStatuses(ctx)
	views := make([]webhookView, 0, len(sts))
	for _, st := range sts {
		views = append(views, viewWebhook(st))
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": views})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, _ principal) {
	if !s.webhooksEnabled(w) {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	st, err := s.webhooks.EndpointStatus(ctx, r.PathValue("id"))
	if err != nil {
		s.webhookFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewWebhook(st))
}

// createWebhookRequest is the body of POST /api/v1/webhooks.
type createWebhookRequest struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Secret    string   `json:"secret"`
	Schedules []string `json:"schedules"`
	Types     []string `json:"types"`
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, p principal) {
	if !s.webhooksEnabled(w) {
		return
	}
	body, err := readBody(w, r, maxWebhookBody)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	var req createWebhookRequest
	if err := decodeJSON(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be a JSON object {"url", "secret"?, "schedules"?, "types"?, "id"?}: `+err.Error())
		return
	}
	e := webhook.Endpoint{ID: req.ID, URL: req.URL, Secret: req.Secret, Schedules: req.Schedules, Types: req.Types,
		CreatedAt: s.now().UTC().Truncate(time.Second), CreatedBy: p.name}
	generated := e.Secret == ""
	if generated {
		if e.Secret, err = event.NewSecret(); err != nil {
			s.internal(w, "generate a webhook secret", err)
			return
		}
	}
	if e.ID == "" {
		if e.ID, err = webhook.NewEndpointID(); err != nil {
			s.internal(w, "generate a webhook id", err)
			return
		}
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	st, err := s.webhooks.CreateEndpoint(ctx, e)
	var invalid *webhook.InvalidError
	switch {
	case errors.As(err, &invalid):
		msgs := make([]string, len(invalid.Fields))
		fields := make([]fieldError, len(invalid.Fields))
		for i, f := range invalid.Fields {
			msgs[i], fields[i] = f.Error(), fieldError{Path: f.Path, Message: f.Message}
		}
		writeJSON(w, http.StatusBadRequest, fieldErrors{Error: "invalid webhook endpoint: " + strings.Join(msgs, "; "), Errors: fields})
		return
	case errors.Is(err, webhook.ErrExists):
		writeErrorf(w, http.StatusConflict, "an endpoint with id %s exists; choose another id or delete it first", quote(e.ID))
		return
	case err != nil:
		s.log.Error("webhook: create endpoint", "endpoint", e, "err", err)
		writeError(w, http.StatusServiceUnavailable, "cannot create the endpoint: "+err.Error())
		return
	}
	out := struct {
		webhookView
		Secret string `json:"secret,omitempty"`
	}{webhookView: viewWebhook(st)}
	if generated {
		out.Secret = e.Secret // shown once: only the service keeps it
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, p principal) {
	if !s.webhooksEnabled(w) {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	id := r.PathValue("id")
	if err := s.webhooks.DeleteEndpoint(ctx, id, p.name); err != nil {
		s.webhookFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"deleted": id})
}

// enableWebhook resumes deliveries to a disabled endpoint (after a 410
// Gone, once the receiver is fixed); its waiting events follow in order.
func (s *Server) enableWebhook(w http.ResponseWriter, r *http.Request, p principal) {
	s.setWebhookEnabled(w, r, p, true)
}

// disableWebhook stops deliveries to an endpoint until it is enabled; its
// events wait.
func (s *Server) disableWebhook(w http.ResponseWriter, r *http.Request, p principal) {
	s.setWebhookEnabled(w, r, p, false)
}

func (s *Server) setWebhookEnabled(w http.ResponseWriter, r *http.Request, p principal, enable bool) {
	if !s.webhooksEnabled(w) {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	change := s.webhooks.DisableEndpoint
	if enable {
		change = s.webhooks.EnableEndpoint
	}
	st, err := change(ctx, r.PathValue("id"), p.name)
	if err != nil {
		s.webhookFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewWebhook(st))
}

// listDeadLetters serves one endpoint's dead letters, or everyone's on
// /api/v1/deadletters. ?after=<seq>&limit=<n> pages through them.
func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request, _ principal) {
	if !s.webhooksEnabled(w) {
		return
	}
	q := r.URL.Query()
	after, err := parseUintParam(q.Get("after"), 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "after: want the seq of the last dead letter seen (a number)")
		return
	}
	limit, err := parseUintParam(q.Get("limit"), defaultDeadLetterPage)
	if err != nil || limit < 1 || limit > maxDeadLetterPage {
		writeErrorf(w, http.StatusBadRequest, "limit: want 1 to %d", maxDeadLetterPage)
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	list, more, err := s.webhooks.DeadLetters(ctx, r.PathValue("id"), after, int(limit))
	if err != nil {
		s.webhookFailed(w, r, err)
		return
	}
	if list == nil {
		list = []webhook.DeadLetter{}
	}
	out := map[string]any{"deadLetters": list}
	if more {
		out["next"] = fmt.Sprintf("?after=%d&limit=%d", list[len(list)-1].Seq, limit)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) redeliverOne(w http.ResponseWriter, r *http.Request, p principal) {
	if !s.webhooksEnabled(w) {
		return
	}
	seq, ok := deadLetterSeq(w, r)
	if !ok {
		return
	}
	res, err := s.webhooks.Redeliver(r.Context(), r.PathValue("id"), seq, p.name)
	if err != nil {
		s.webhookFailed(w, r, err)
		return
	}
	code := http.StatusOK
	if !res.Delivered {
		code = http.StatusBadGateway
	}
	writeJSON(w, code, res)
}

// redeliverAll redelivers an endpoint's dead letters oldest first and
// stops at the first failure, so the receiver sees them in order.
func (s *Server) redeliverAll(w http.ResponseWriter, r *http.Request, _ principal) {
	if !s.webhooksEnabled(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), redeliverAllLimit)
	defer cancel()
	results, remaining, err := s.webhooks.RedeliverAll(ctx, r.PathValue("id"))
	if err != nil {
		s.webhookFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "remaining": remaining})
}

func (s *Server) discardDeadLetter(w http.ResponseWriter, r *http.Request, p principal) {
	if !s.webhooksEnabled(w) {
		return
	}
	seq, ok := deadLetterSeq(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	if err := s.webhooks.DiscardDeadLetter(ctx, r.PathValue("id"), seq, p.name); err != nil {
		s.webhookFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"discarded": seq})
}

// deadLetterSeq reads {seq}, answering a bad one itself.
func deadLetterSeq(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		writeErrorf(w, http.StatusBadRequest, "seq: want the seq of a dead letter, as listed by GET /api/v1/webhooks/%s/deadletters", r.PathValue("id"))
		return 0, false
	}
	return seq, true
}

// webhookFailed answers an error of the webhook manager.
func (s *Server) webhookFailed(w http.ResponseWriter, r *http.Request, err error) {
	id := r.PathValue("id")
	switch {
	case errors.Is(err, webhook.ErrNotFound):
		writeErrorf(w, http.StatusNotFound, "no webhook endpoint %s; GET /api/v1/webhooks lists them", quote(id))
	case errors.Is(err, webhook.ErrNoDeadLetter):
		writeErrorf(w, http.StatusNotFound, "endpoint %s has no dead letter %s (redelivered or discarded already?)", quote(id), r.PathValue("seq"))
	case errors.Is(err, webhook.ErrConfigured):
		writeErrorf(w, http.StatusConflict, "endpoint %s is configured in the service settings (webhooks.endpoints); remove it there", quote(id))
	default:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	}
}

// parseUintParam parses a query parameter, def when it is empty.
func parseUintParam(s string, def uint64) (uint64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseUint(s, 10, 64)
}
