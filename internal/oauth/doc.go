// Package oauth gets OAuth 2.0 access tokens for IMAP and POP3 logins
// (SASL XOAUTH2 and OAUTHBEARER) at Google and Microsoft:
//
//   - interactive logins: Microsoft's device code flow (RFC 8628) and
//     Google's browser flow with a loopback redirect and PKCE (RFC 8252,
//     RFC 7636), whose refresh token is kept in a Store (one 0600 file per
//     account in a 0700 directory);
//   - non-interactive ones: Google service accounts with domain-wide
//     delegation (JWT bearer grant, RFC 7523, with sub = the user),
//     Microsoft 365 application access (client credentials grant), a
//     token printed by a command, or a token file re-read on every
//     connection.
//
// A Source caches the current access token, refreshes it shortly before
// it expires (so a long run never fails on an expired token), persists a
// rotated refresh token, and forgets a token a server refused
// (Invalidate) so that the next connection gets a fresh one. A refresh
// refused with invalid_grant (revoked or expired refresh token) is a
// sources.Permanent error telling the user to run "mailferry auth login"
// again.
//
// Only the standard library is used: the few grants mailferry needs are
// small form POSTs to a token endpoint.
//
// Tokens never appear in errors or logs.
package oauth
