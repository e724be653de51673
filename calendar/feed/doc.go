// Package feed serves a schedule as an iCalendar (RFC 5545) feed that
// Outlook, Google Calendar and Apple Calendar can subscribe to: its
// openings and its closures with their reasons for the next days
// (DESIGN.md §6 Calendars).
//
// Calendar clients cannot send an Authorization header, so a subscription
// uses a secret link: Links stores, per link, only the SHA-256 of a random
// 256-bit secret (like API tokens); the secret is shown once when the link
// is created, and a link is revoked by deleting it.
//
//	var buf bytes.Buffer
//	err := feed.Write(&buf, schedule, time.Now(), feed.Options{Days: 60})
//
//	links, _ := feed.NewKVLinks(ctx, js, 1)
//	link, secret, _ := links.Create(ctx, feed.Link{Schedule: "Support", CreatedBy: "alice"})
//	// subscribe to https://host/feeds/<secret>.ics; later: links.Revoke(ctx, link.ID)
package feed
