// Package mailhdr reads what mailferry needs from a message header: the
// arrival date (topmost Received:, then Date:), flags recorded by mail
// programs (Status:, X-Status:, X-Mozilla-Status, X-Keywords:) and the
// identity used to recognise a message already on the target.
package mailhdr
