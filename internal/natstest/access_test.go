package natstest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Why the events reader has an account of its own: in one account, a user
// whose permissions allow only a consumer-info request can still make the
// server write its answer into a KV bucket, by naming the bucket's subject
// as the reply. CheckEventsReader's "reply subjects" step would catch that;
// this test shows it happens, so that step tests something real.
func TestReplySubjectInjectionInOneAccount(t *testing.T) {
	srv := Server(t, func(o *server.Options) {
		o.Users = []*server.User{
			{Username: "service", Password: "service-password"},
			{Username: "reader", Password: "reader-password", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: []string{"$JS.API.CONSUMER.INFO.EVENTS.*"}},
				Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
			}},
		}
	})
	_, js := Connect(t, srv.ClientURL(), nats.UserInfo("service", "service-password"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "auth"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "admin", []byte("hash")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}}); err != nil {
		t.Fatal(err)
	}
	reader, _ := Connect(t, srv.ClientURL(), nats.UserInfo("reader", "reader-password"))
	if err := reader.Publish("$KV.auth.admin", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	if err := reader.PublishRequest("$JS.API.CONSUMER.INFO.EVENTS.none", "$KV.auth.admin", nil); err != nil {
		t.Fatal(err)
	}
	_ = reader.Flush()
	var got string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		e, err := kv.Get(ctx, "admin")
		if err == nil && string(e.Value()) != "hash" {
			got = string(e.Value())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(got, "consumer_info_response") {
		t.Fatalf("the bucket holds %q; want the server's answer, written there through the reply subject", got)
	}
	t.Logf("one account: a reader allowed only CONSUMER.INFO wrote %q into the bucket", got)
}
