package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Route is an admin API endpoint the Dispatcher serves. The service mounts
// it behind its authentication: Write routes need an admin token, the
// others a viewer token.
type Route struct {
	Pattern string // a ServeMux pattern, e.g. "GET /api/v1/webhooks"
	Write   bool
	Handler http.Handler
}

// Limits of the admin API.
const (
	maxRequestBody    = 64 << 10
	defaultListLimit  = 100
	maxListLimit      = 1000
	redeliverAllLimit = 20 * time.Second // keep within the server's write timeout
)

// Routes returns the admin API of endpoints and dead letters.
func (d *Dispatcher) Routes() []Route {
	return []Route{
		{"GET /api/v1/webhooks", false, http.HandlerFunc(d.listEndpoints)},
		{"POST /api/v1/webhooks", true, http.HandlerFunc(d.createEndpoint)},
		{"GET /api/v1/webhooks/{id}", false, http.HandlerFunc(d.getEndpoint)},
		{"DELETE /api/v1/webhooks/{id}", true, http.HandlerFunc(d.deleteEndpoint)},
		{"GET /api/v1/webhooks/{id}/deadletters", false, http.HandlerFunc(d.listDeadLetters)},
		{"POST /api/v1/webhooks/{id}/deadletters/redeliver", true, http.HandlerFunc(d.redeliverAll)},
		{"POST /api/v1/webhooks/{id}/deadletters/{seq}/redeliver", true, http.HandlerFunc(d.redeliverOne)},
		{"DELETE /api/v1/webhooks/{id}/deadletters/{seq}", true, http.HandlerFunc(d.discardDeadLetter)},
		{"GET /api/v1/deadletters", false, http.HandlerFunc(d.listDeadLetters)},
	}
}

// endpointView is an endpoint as the API shows it: never the secret, and
// the URL without its query string, which often carries a receiver's token.
type endpointView struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	SecretHint  string    `json:"secretHint"`
	Schedules   []string  `json:"schedules"`
	Types       []string  `json:"types"`
	Source      string    `json:"source"`
	CreatedAt   time.Time `json:"createdAt,omitzero"`
	CreatedBy   string    `json:"createdBy,omitempty"`
	Consumer    string    `json:"consumer"`
	Backlog     *uint64   `json:"backlog,omitempty"`
	DeadLetters *uint64   `json:"deadLetters,omitempty"`
}

func (d *Dispatcher) view(ctx context.Context, e Endpoint, dead map[string]uint64) endpointView {
	v := endpointView{ID: e.ID, URL: redactURL(e.URL), SecretHint: secretHint(e.Secret), Schedules: e.Schedules, Types: e.Types,
		Source: e.Source, CreatedAt: e.CreatedAt, CreatedBy: e.CreatedBy, Consumer: ConsumerName(e.ID)}
	if v.Schedules == nil {
		v.Schedules = []string{}
	}
	if v.Types == nil {
		v.Types = []string{}
	}
	if n, err := d.backlog(ctx, e.ID); err == nil {
		v.Backlog = &n
	}
	if dead != nil {
		n := dead[e.ID]
		v.DeadLetters = &n
	}
	return v
}

func (d *Dispatcher) listEndpoints(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	dead, _ := d.dead.counts(ctx)
	eps := d.Endpoints()
	views := make([]endpointView, 0, len(eps))
	for _, e := range eps {
		views = append(views, d.view(ctx, e, dead))
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": views})
}

func (d *Dispatcher) getEndpoint(w http.ResponseWriter, r *http.Request) {
	e, err := d.endpoint(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusNotFound, notFoundMessage(r.PathValue("id")))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	dead, _ := d.dead.counts(ctx)
	writeJSON(w, http.StatusOK, d.view(ctx, e, dead))
}

// createRequest is the body of POST /api/v1/webhooks.
type createRequest struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Secret    string   `json:"secret"`
	Schedules []string `json:"schedules"`
	Types     []string `json:"types"`
}

func (d *Dispatcher) createEndpoint(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if msg := decodeBody(w, r, &req); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	e := Endpoint{ID: req.ID, URL: req.URL, Secret: req.Secret, Schedules: req.Schedules, Types: req.Types,
		Source: SourceAPI, CreatedAt: d.opts.Now().UTC().Truncate(time.Second), CreatedBy: d.opts.Caller(r)}
	generated := e.Secret == ""
	var err error
	if generated {
		if e.Secret, err = NewSecret(); err != nil {
			writeError(w, http.StatusInternalServerError, "cannot generate a secret; the server log has the details")
			d.log.Error("webhook: generate secret", "err", err)
			return
		}
	}
	if e.ID == "" {
		if e.ID, err = newID(); err != nil {
			writeError(w, http.StatusInternalServerError, "cannot generate an id; the server log has the details")
			d.log.Error("webhook: generate id", "err", err)
			return
		}
	}
	if errs := e.Validate(); len(errs) > 0 {
		writeFieldErrors(w, errs)
		return
	}
	if _, err := d.endpoint(e.ID); err == nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("an endpoint with id %q exists; choose another id or delete it first", e.ID))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	// Create the consumer before storing the endpoint: events from now on
	// are kept for it even before any replica's worker starts.
	createdConsumer := true
	_, err = d.js.CreateConsumer(ctx, d.opts.Stream, d.consumerConfig(e))
	if errors.Is(err, jetstream.ErrConsumerExists) {
		// Left over from an endpoint of the same id: start afresh.
		if err = d.js.DeleteConsumer(ctx, d.opts.Stream, ConsumerName(e.ID)); err == nil {
			_, err = d.js.CreateConsumer(ctx, d.opts.Stream, d.consumerConfig(e))
		}
	}
	if err != nil {
		createdConsumer = false
		if !errors.Is(err, jetstream.ErrStreamNotFound) {
			d.log.Error("webhook: create consumer", "endpoint", e.ID, "err", err)
			writeError(w, http.StatusServiceUnavailable, "cannot create the delivery consumer: "+err.Error())
			return
		}
	}
	if err := d.reg.create(ctx, e); err != nil {
		if createdConsumer {
			_ = d.js.DeleteConsumer(context.WithoutCancel(ctx), d.opts.Stream, ConsumerName(e.ID))
		}
		if errors.Is(err, ErrExists) {
			writeError(w, http.StatusConflict, fmt.Sprintf("an endpoint with id %q exists; choose another id or delete it first", e.ID))
			return
		}
		d.log.Error("webhook: store endpoint", "endpoint", e.ID, "err", err)
		writeError(w, http.StatusServiceUnavailable, "cannot store the endpoint: "+err.Error())
		return
	}
	d.log.Info("webhook: endpoint created", "endpoint", e, "by", e.CreatedBy)
	// Serve it here at once rather than when the watch reports it.
	d.mu.Lock()
	d.dynamic[e.ID] = e
	d.mu.Unlock()
	d.reconcile()
	out := struct {
		endpointView
		Secret string `json:"secret,omitempty"`
	}{endpointView: d.view(ctx, e, nil)}
	if generated {
		out.Secret = e.Secret // shown once: only the bucket keeps it
	}
	writeJSON(w, http.StatusCreated, out)
}

func (d *Dispatcher) deleteEndpoint(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := d.endpoint(id)
	if err != nil {
		writeError(w, http.StatusNotFound, notFoundMessage(id))
		return
	}
	if e.Source == SourceConfig {
		writeError(w, http.StatusConflict, fmt.Sprintf("endpoint %q is configured in the service settings (webhooks.endpoints); remove it there", id))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := d.reg.delete(ctx, id); err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if err := d.js.DeleteConsumer(ctx, d.opts.Stream, ConsumerName(id)); err != nil &&
		!errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		d.log.Warn("webhook: delete consumer", "endpoint", id, "err", err)
	}
	if err := d.dead.purge(ctx, id); err != nil {
		d.log.Warn("webhook: purge dead letters", "endpoint", id, "err", err)
	}
	d.mu.Lock()
	delete(d.dynamic, id)
	d.mu.Unlock()
	d.reconcile()
	d.log.Info("webhook: endpoint deleted", "endpoint", e, "by", d.opts.Caller(r))
	writeJSON(w, http.StatusOK, map[string]string{"deleted": id})
}

func notFoundMessage(id string) string {
	return fmt.Sprintf("no webhook endpoint %q; GET /api/v1/webhooks lists them", truncate(id, 80))
}

func parseUint(s string, def uint64) (uint64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// decodeBody reads one JSON object into v, rejecting unknown fields, and
// returns a message for the caller on failure.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) string {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return fmt.Sprintf("the body is larger than %d bytes or unreadable", maxRequestBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return `the body must be a JSON object {"url", "secret"?, "schedules"?, "types"?, "id"?}: ` + err.Error()
	}
	if dec.More() {
		return "the body must hold one JSON object"
	}
	return ""
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"internal error: the response could not be encoded"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// writeFieldErrors answers 400 with every problem, in the shape of the
// config API's validation errors.
func writeFieldErrors(w http.ResponseWriter, errs []FieldError) {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid webhook endpoint: " + strings.Join(msgs, "; "), "errors": errs})
}
