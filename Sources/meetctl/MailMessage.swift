import Core
import Foundation

/// An RFC 5322 email for one outbox message: headers with RFC 2047 encoded words where the text
/// is not ASCII (or could be taken for encoded words), a quoted-printable UTF-8 plain-text body
/// (safe through any relay, 8BITMIME or not), and for a calendar message the invitation as an
/// iMIP part (RFC 6047). Lines end in LF: sendmail-compatible programs take local line ends.
struct MailMessage {
    let from: Address
    let to: Address
    let cc: [String]
    let subject: String
    let body: String
    let date: Instant
    let messageId: String
    var extraHeaders: [(String, String)] = []
    /// The calendar invitation the mail carries, if any.
    var invitation: Invitation? = nil

    /// An iTIP message (RFC 5546) as the service wrote it: its method and the .ics text, CRLF
    /// line ends and all.
    struct Invitation {
        static let methods = ["REQUEST", "CANCEL"]
        let method: String
        let ics: String
    }

    struct Address {
        let email: String
        let name: String?

        /// `Name <local@domain>`, `"Name" <local@domain>` or a bare address.
        init?(_ text: String) {
            let trimmed = text.trimmingCharacters(in: " ")
            if let inner = MailMessage.angleAddress(trimmed) {
                let name = MailMessage.displayName(String(trimmed[..<trimmed.lastIndex(of: "<")!]).trimmingCharacters(in: " "))
                email = inner
                self.name = name.isEmpty ? nil : name
            } else {
                email = trimmed
                name = nil
            }
            guard MailMessage.isPlainAddress(email) else { return nil }
        }

        init(email: String, name: String?) {
            self.email = email
            self.name = name
        }

        /// As a header shows it: the name as a phrase (RFC 2047 words when not ASCII), then the
        /// address, folded between words so that no line passes 78 characters where a break can
        /// go (RFC 5322 §2.1.1).
        var header: String { name.map { MailMessage.fold(MailMessage.phrase($0) + ["<\(email)>"]) } ?? email }
    }

    struct Invalid: Error {
        let reason: String
    }

    /// The mail for a claimed notification or calendar invitation; Message-ID is the outbox id,
    /// so a retried delivery is recognisably the same message.
    static func outboxMessage(_ message: JSON, from: String, now: Instant) throws -> MailMessage {
        guard let id = message["id"]?.stringValue, Identifier.isValid(id, kind: .outbox) else { throw Invalid(reason: "the message has no outbox id") }
        var invitation: Invitation? = nil
        if message["channel"] == "calendar" {
            guard let method = message["payload"]?["method"]?.stringValue, Invitation.methods.contains(method) else {
                throw Invalid(reason: "the invitation's method is not one of \(Invitation.methods.joined(separator: ", "))")
            }
            guard let ics = message["payload"]?["ics"]?.stringValue, ics.hasPrefix("BEGIN:VCALENDAR\r\n") else {
                throw Invalid(reason: "the invitation has no iCalendar text")
            }
            invitation = Invitation(method: method, ics: ics)
        }
        guard let email = message["recipient"]?["email"]?.stringValue else { throw Invalid(reason: "the message has no recipient email") }
        guard let subject = message["rendered"]?["subject"]?.stringValue, let text = message["rendered"]?["text"]?.stringValue else {
            throw Invalid(reason: "the message has no rendered subject and text")
        }
        let name = [message["recipient"]?["first_name"]?.stringValue, message["recipient"]?["last_name"]?.stringValue]
            .compactMap { $0 }.joined(separator: " ")
        let cc = (message["cc"]?.arrayValue ?? []).compactMap(\.stringValue)
        for address in [email] + cc where !isPlainAddress(address) {
            throw Invalid(reason: "\(address.debugDescription) is not an email address")
        }
        guard let sender = Address(from) else { throw Invalid(reason: "the From address \(from.debugDescription) is not an email address") }
        let domain = sender.email.split(separator: "@").last.map(String.init) ?? "meetingledger.invalid"
        return MailMessage(
            from: sender, to: Address(email: email, name: name.isEmpty ? nil : name), cc: cc, subject: subject, body: text, date: now,
            messageId: "<\(id)@\(domain)>",
            extraHeaders: [("X-MeetingLedger-Outbox-Id", id), ("X-MeetingLedger-Kind", Self.token(message["kind"]?.stringValue ?? "notification"))],
            invitation: invitation)
    }

    var rendered: String {
        var headers: [(String, String)] = [
            ("From", from.header),
            ("To", to.header),
        ]
        if !cc.isEmpty { headers.append(("Cc", Self.fold(cc.enumerated().map { $0.offset < cc.count - 1 ? $0.element + "," : $0.element }))) }
        headers += [
            ("Subject", Self.headerText(subject)),
            ("Date", Self.rfc5322Date(date)),
            ("Message-ID", messageId),
            // RFC 3834: written by a program, so no vacation or out-of-office replies.
            ("Auto-Submitted", "auto-generated"),
            ("X-Auto-Response-Suppress", "All"),
            ("MIME-Version", "1.0"),
        ] + extraHeaders
        let head = headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
        guard let invitation else {
            return head + "\n" + Self.part(contentType: "text/plain; charset=utf-8", encoding: "quoted-printable", Self.quotedPrintable(body))
        }
        return head + "\n" + Self.invitationBody(text: body, invitation, boundary: "=_ml_" + String(messageId.dropFirst().prefix { $0 != "@" }))
    }

    /// Google Calendar's and most mailers' layout, which every common client shows with
    /// accept/decline: the text and the `text/calendar; method=…` part as alternatives, then the
    /// same .ics as an `invite.ics` attachment for clients that only save files. Both carry the
    /// service's bytes in base64, so the .ics keeps its CRLF line ends through any relay.
    static func invitationBody(text: String, _ invitation: Invitation, boundary: String) -> String {
        let ics = base64Lines(Array(invitation.ics.utf8))
        let alternative = multipart("alternative", boundary: boundary + "_alt", [
            part(contentType: "text/plain; charset=utf-8", encoding: "quoted-printable", quotedPrintable(text)),
            part(contentType: "text/calendar; charset=utf-8; method=\(invitation.method)", encoding: "base64", ics),
        ])
        let attachment = part(
            contentType: "application/ics; name=\"invite.ics\"", encoding: "base64", ics,
            extra: [("Content-Disposition", "attachment; filename=\"invite.ics\"")])
        return multipart("mixed", boundary: boundary + "_mixed", [alternative, attachment])
    }

    /// A MIME entity: its headers, an empty line, its content (ending in a line end).
    static func part(contentType: String, encoding: String?, _ content: String, extra: [(String, String)] = []) -> String {
        let headers = [("Content-Type", contentType)] + (encoding.map { [("Content-Transfer-Encoding", $0)] } ?? []) + extra
        return headers.map { "\($0.0): \($0.1)\n" }.joined() + "\n" + content
    }

    /// A multipart entity of `parts`. The boundary starts with `=_`, which neither base64 nor
    /// quoted-printable text can hold, so no content can end a part early.
    static func multipart(_ subtype: String, boundary: String, _ parts: [String]) -> String {
        part(
            // The boundary on a line of its own: with the header's name it passed 78 characters.
            contentType: "multipart/\(subtype);\n boundary=\"\(boundary)\"", encoding: nil,
            // The line end before a delimiter belongs to the delimiter (RFC 2046 §5.1.1): one more
            // keeps each part's own last line end.
            parts.map { "--\(boundary)\n" + $0 + "\n" }.joined() + "--\(boundary)--\n")
    }

    /// Base64 in lines of 76 characters (RFC 2045 §6.8).
    static func base64Lines(_ bytes: [UInt8]) -> String {
        let text = base64(bytes)
        var lines: [Substring] = []
        var rest = text[...]
        while !rest.isEmpty {
            lines.append(rest.prefix(76))
            rest = rest.dropFirst(76)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A header value that must be one token: anything else becomes `_`.
    static func token(_ text: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars)
        let kept = String(String.UnicodeScalarView(text.unicodeScalars.prefix(100).map { allowed.contains($0) ? $0 : "_" }))
        return kept.isEmpty ? "_" : kept
    }

    // MARK: Addresses

    /// `local@domain` with no spaces, angle brackets, quotes or line breaks.
    static func isPlainAddress(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && s.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    /// The address inside `Name <address>`.
    static func angleAddress(_ s: String) -> String? {
        guard let open = s.lastIndex(of: "<"), let close = s.lastIndex(of: ">"), open < close else { return nil }
        return String(s[s.index(after: open)..<close])
    }

    /// The display name written before `<address>`: one quoted string (RFC 5322 §3.2.4) is read
    /// without its quotes and with its `\` escapes undone, `"Demo \"HQ\""` as `Demo "HQ"`; any
    /// other text is the name as written, quotes and all, so `Demo "HQ"` keeps its closing quote.
    static func displayName(_ written: String) -> String {
        let scalars = Array(written.unicodeScalars)
        guard scalars.count >= 2, scalars.first == "\"", scalars.last == "\"" else { return written }
        var name = String.UnicodeScalarView()
        var i = 1
        while i < scalars.count - 1 {
            switch scalars[i] {
            case "\\" where i + 1 < scalars.count - 1:
                name.append(scalars[i + 1])
                i += 2
            case "\\", "\"":
                // A quote that ends the string early, or an escape of the closing one: not one
                // quoted string.
                return written
            default:
                name.append(scalars[i])
                i += 1
            }
        }
        return String(name)
    }

    // MARK: Header text (RFC 5322, RFC 2047)

    /// A display name, its runs of spaces as one, as the words a header folds between: as it is
    /// when it is plain ASCII words, one quoted string when it has specials, encoded words when it
    /// is not ASCII, holds `=?`, or has a word or quoted string too long for a line of its own
    /// (quoting doubles every `"` and `\\`, so 400 of them made one line of over 998 octets).
    static func phrase(_ name: String) -> [String] {
        let clean = oneLine(name).split(separator: " ").joined(separator: " ")
        let words = clean.split(separator: " ").map(String.init)
        if clean.unicodeScalars.allSatisfy(\.isASCII) && !clean.contains("=?") {
            if clean.unicodeScalars.allSatisfy({ RFC5322.atext.contains($0) || $0 == " " }) && words.allSatisfy({ $0.count <= maxFoldedWord }) {
                return words
            }
            let quoted = "\"" + clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            if quoted.count <= maxFoldedWord { return [quoted] }
        }
        return encodedPhrase(clean)
    }

    /// How long `fold` makes a header line, counted without the line end (RFC 5322 §2.1.1: 78
    /// at most where a break can go).
    static let foldedLineWidth = 76
    /// The room the first line keeps for the header's name and ": " ("Subject: " is 9).
    static let headerNameWidth = 12
    /// The longest word `fold` puts on a line: even the first line has room for it. A longer one
    /// goes into encoded words, none of which is longer (64 characters).
    static let maxFoldedWord = foldedLineWidth - headerNameWidth

    /// Unstructured header text (Subject): printable ASCII as it is, folded at spaces; encoded
    /// words when it is not ASCII, holds `=?` (which a reader would decode), or has a word too
    /// long to fold.
    static func headerText(_ text: String) -> String {
        let clean = oneLine(text)
        let words = clean.split(separator: " ", omittingEmptySubsequences: false)
        guard clean.unicodeScalars.allSatisfy(\.isASCII), !clean.contains("=?"), words.allSatisfy({ $0.count <= maxFoldedWord }) else {
            return fold(encodedWords(clean))
        }
        return fold(words.map(String.init))
    }

    /// Words joined by spaces, a line break before a word that would pass `foldedLineWidth` (the
    /// first line leaves room for the header's name).
    static func fold(_ words: [String]) -> String {
        var out = "", width = headerNameWidth
        for (i, word) in words.enumerated() {
            if i > 0 && width + 1 + word.count > foldedLineWidth && !word.isEmpty {
                out += "\n "
                width = 1
            } else if i > 0 {
                out += " "
                width += 1
            }
            out += word
            width += word.count
        }
        return out
    }

    /// Line breaks in header values would start new headers, and other controls have no place
    /// in one: each becomes a space (C0 and C1 controls, DEL, and Unicode's line separators).
    /// As in the texts the service renders (a name stored before names were checked), marks that
    /// show nothing are left out and reordering marks are replaced by U+FFFD.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(HiddenMarks.removed(from: text).unicodeScalars.map { s in
            s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029 ? " " : s.isBidiControl ? "\u{FFFD}" : s
        }))
    }

    /// Bytes of text per encoded word: base64 of 39 bytes is 52 characters, 64 with the frame.
    static let encodedWordPayloadBytes = 39

    /// `=?UTF-8?B?…?=` words of at most 75 characters, split between characters (never inside
    /// one), for `fold` to put on lines.
    static func encodedWords(_ text: String) -> [String] {
        let maxPayload = encodedWordPayloadBytes
        var words: [String] = []
        var chunk: [UInt8] = []
        func add(_ bytes: [UInt8]) {
            if chunk.count + bytes.count > maxPayload && !chunk.isEmpty {
                words.append("=?UTF-8?B?" + base64(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        // Whole Characters where one fits a word; one that does not (a letter under hundreds of
        // combining marks) is split between scalars, which RFC 2047 allows (only a character's
        // octets may not be split), so no word passes 75 characters and no line 998 octets.
        for character in text {
            let bytes = Array(String(character).utf8)
            if bytes.count <= maxPayload {
                add(bytes)
            } else {
                for scalar in character.unicodeScalars { add(Array(String(scalar).utf8)) }
            }
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + base64(chunk) + "?=") }
        return words
    }

    /// Encoded words for a display name, each holding whole words where they fit. The space
    /// between two groups travels inside the later group's encoded word: RFC 2047 §6.2 has
    /// readers drop the white space between two encoded words, so a space left between them
    /// was lost ("KovářováPřemyslovna"). A reader that keeps that white space as well shows two
    /// spaces there, never none.
    static func encodedPhrase(_ text: String) -> [String] {
        var groups: [String] = []
        for word in text.split(separator: " ").map(String.init) {
            if let last = groups.last, (last + " " + word).utf8.count <= encodedWordPayloadBytes {
                groups[groups.count - 1] = last + " " + word
            } else {
                groups.append(groups.isEmpty ? word : " " + word)
            }
        }
        return groups.flatMap(encodedWords)
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    // MARK: Body (RFC 2045 quoted-printable)

    /// Quoted-printable of the UTF-8 text: lines of at most 76 characters with soft breaks,
    /// `=` and bytes outside printable ASCII as `=XX`, trailing spaces encoded. A `.` or `F`
    /// that begins a line is encoded too: a line of a lone dot ends the message for a sendmail
    /// run without -i, and mbox files rewrite a line beginning "From ".
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF")
        func encoded(_ b: UInt8) -> String { "=" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 0x0F)]) }
        var out = ""
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            var current = ""
            for (i, b) in bytes.enumerated() {
                let isLast = i == bytes.count - 1
                var token = (b >= 33 && b <= 126 && b != 61) || ((b == 32 || b == 9) && !isLast) ? String(UnicodeScalar(b)) : encoded(b)
                if current.count + token.count > 75 {
                    out += current + "=\n"
                    current = ""
                }
                if current.isEmpty && (b == UInt8(ascii: ".") || b == UInt8(ascii: "F")) { token = encoded(b) }
                current += token
            }
            out += current
            if index < lines.count - 1 { out += "\n" }
        }
        return out.hasSuffix("\n") ? out : out + "\n"
    }

    // MARK: Date (RFC 5322 §3.3)

    static func rfc5322Date(_ instant: Instant) -> String {
        let seconds = instant.epochSeconds
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (y, m, d) = Civil.civilFromDays(days)
        let secondOfDay = seconds - days * 86_400
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let weekday = PersonClock.weekdays[Civil.isoWeekday(days: days) - 1]
        return "\(weekday), \(d) \(PersonClock.months[Int(m) - 1]) \(y) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }
}

/// RFC 5322 `atext`: the characters a display name may use without quotes.
enum RFC5322 {
    static let atext = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~".unicodeScalars)
}
