// Package discord connects Callboard's router to Discord.
//
// It receives interactions either on an HTTP Interactions Endpoint
// (Adapter.Handler, verified with the application's Ed25519 public key) or
// over the gateway (Adapter.RunGateway), never both for one application.
// Slash commands, button presses and modal submissions become bot.Inputs;
// @-mentions and direct messages reach the router in plain words. Every
// interaction is answered within Discord's 3 seconds: inline when the router
// finishes within Options.AnswerBudget, otherwise deferred and completed by
// editing the original response. A mention or direct message the gateway
// delivers again is answered once, using the Deduper's seen-set, which
// outlives a restart when it is kept in bbolt. The values of a paged form's
// earlier pages wait in memory and do not.
//
// Replies are rendered by Render, a pure function that enforces every Discord
// message limit by rune count and never lets a message ping anyone. Post and
// Update deliver replies to channels (digests, task progress) and honour
// Discord's rate limits without sending a message twice.
//
// The adapter imports only the bot package, discordgo and the standard
// library.
package discord
