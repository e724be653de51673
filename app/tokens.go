package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/api"
)

const generatedTokenKey = "generated-admin"

// resolveTokens returns the tokens the API accepts. With none configured,
// the first start generates an admin token, keeps only its hash (in a KV
// bucket shared by replicas) and prints the token once.
func resolveTokens(ctx context.Context, js jetstream.JetStream, o Options) ([]api.Token, error) {
	tokens := append([]api.Token(nil), o.Tokens...)
	if o.AdminToken != "" {
		tokens = append(tokens, api.Token{Name: "admin", Role: "admin", SHA256: api.HashToken(o.AdminToken)})
	}
	if len(tokens) > 0 {
		return tokens, nil
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: "schedmgr_auth", Description: "hashes of generated admin tokens", History: 1, Replicas: max(o.StoreReplicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("auth bucket: %w", err)
	}
	entry, err := kv.Get(ctx, generatedTokenKey)
	if err == nil {
		return []api.Token{{Name: "admin", Role: "admin", SHA256: string(entry.Value())}}, nil
	}
	if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("read generated token: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate token: %w", err)
	}
	token := "smt_" + base64.RawURLEncoding.EncodeToString(raw)
	hash := api.HashToken(token)
	if _, err := kv.Create(ctx, generatedTokenKey, []byte(hash)); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			// Another replica generated one at the same moment: use it.
			entry, err := kv.Get(ctx, generatedTokenKey)
			if err != nil {
				return nil, fmt.Errorf("read generated token: %w", err)
			}
			return []api.Token{{Name: "admin", Role: "admin", SHA256: string(entry.Value())}}, nil
		}
		return nil, fmt.Errorf("store generated token: %w", err)
	}
	fmt.Fprintf(o.Stdout, "\nGenerated an admin token (shown once; only its hash is kept):\n\n    %s\n\nUse it as: Authorization: Bearer %s\nSet SCHEDMGR_ADMIN_TOKEN or configure tokens to choose your own.\n\n", token, token)
	return []api.Token{{Name: "admin", Role: "admin", SHA256: hash}}, nil
}
