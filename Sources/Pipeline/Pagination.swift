import Core
import RPC

/// Keyset pagination: a page is the rows after the last key seen, never an OFFSET. The cursor
/// is that key behind the scope it was read in (the method and its other params), hex-encoded
/// so callers treat it as opaque: a cursor sent to another method, or with other filters, is
/// refused rather than read as a place in a list it never belonged to.
public struct Page {
    public static let defaultLimit: Int64 = 50
    public static let maxLimit: Int64 = 500

    public static var fields: [Schema.Field] {
        [
            .init("limit", .integer(min: 1, max: maxLimit), "Page size (default \(defaultLimit)); a page stops early, with next_cursor, once its items come to 4 MiB"),
            .init("cursor", .text(min: 1, max: maxCursorCharacters), "next_cursor from the previous page"),
        ]
    }

    /// A cursor's longest form: a meeting list's carries two snapshots of up to 5,000 open
    /// transactions each (`TransactionSnapshot.maxInProgress`, at most 20 characters each),
    /// written in hex; it still fits a message of the default size.
    public static let maxCursorCharacters = 420_000

    public let limit: Int64
    /// The key values of the last row of the previous page.
    public let after: [JSON]?
    /// The list the page belongs to (`Page.scope`), carried by every cursor it hands out.
    let scope: String

    /// The kinds of value a page key holds, checked when a cursor comes back.
    public enum KeyPart: Sendable {
        case text, integer, time
    }

    /// `key` names the parts of this list's keyset; a cursor of any other shape is refused.
    public init(_ params: Params, key: [KeyPart]) throws {
        limit = params.optionalInt("limit") ?? Page.defaultLimit
        scope = Page.scope(params)
        after = try Page.cursor(params, key: key, scope: scope)
    }

    /// The key values in `params`' cursor, nil without one; a cursor of another shape, or one
    /// handed out by another method or for other params, is refused.
    public static func cursor(_ params: Params, key: [KeyPart]) throws -> [JSON]? { try cursor(params, key: key, scope: scope(params)) }

    /// `cursor(_:key:)` for the list whose digest (`scope(params)`) is known already.
    static func cursor(_ params: Params, key: [KeyPart], scope: String) throws -> [JSON]? {
        guard let cursor = params.optionalString("cursor") else { return nil }
        guard let scoped = Page.decode(cursor), let tag = scoped.first?.stringValue else { throw notACursor }
        guard tag == scope else {
            throw AppError.invalidParams(
                field: "cursor",
                reason: "belongs to another list: send next_cursor back to the method that returned it, with the same params as the first page (only limit, and format where the method takes it, may change)")
        }
        let decoded = Array(scoped.dropFirst())
        guard decoded.count == key.count,
            zip(decoded, key).allSatisfy({ value, part in
                switch part {
                case .text: return value.stringValue != nil
                case .integer: return value.intValue != nil
                case .time: return value.stringValue.map { (try? Instant(rfc3339: $0)) != nil } ?? false
                }
            })
        else { throw notACursor }
        return decoded
    }

    public static let notACursor = AppError.invalidParams(field: "cursor", reason: "is not a cursor returned by this method")

    /// A param as it reads, whatever its schema: text that is a time as that time in UTC, a
    /// number that is whole as an integer (only equality of lists depends on it).
    static func readForm(_ value: JSON) -> JSON {
        switch value {
        case .string(let text):
            guard text.utf8.count <= 64, let instant = try? Instant(rfc3339: text) else { return value }
            return .string(instant.rfc3339)
        case .number: return value.intValue.map(JSON.int) ?? value
        case .array(let items): return .array(items.map(readForm))
        case .object(let members): return .object(members.mapValues(readForm))
        default: return value
        }
    }

    /// Which list `params` ask for: a digest of the method and every param but the cursor, the
    /// page size and the format (json or csv: the same list), each as it reads (nulls left out,
    /// a time in UTC, a whole number as an integer: the forms idempotency treats as one). Not a
    /// secret: it only tells one list's cursors from another's.
    static func scope(_ params: Params) -> String {
        var fields = params.fields.filter { !$0.value.isNull }.mapValues(readForm)
        fields["cursor"] = nil
        fields["limit"] = nil
        fields["format"] = nil
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64 bits
        for byte in (params.method + "\n" + JSON.object(fields).serialized()).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public func afterString(_ i: Int) -> String? { after.flatMap { i < $0.count ? $0[i].stringValue : nil } }

    /// The page's items and next cursor, given up to `limit + 1` rows and each row's key.
    public func result(_ items: [JSON], key: (JSON) -> [JSON]) -> JSON {
        result(items) { key(items[$0]) }
    }

    /// A page stops early, with next_cursor for the rest, once its items come to this many
    /// bytes (a quarter of the default answer bound): a list of large items (long agenda
    /// answers) is paged rather than refused as too large. Its first item is always shown.
    public static let maxItemBytes = 4 << 20

    /// The page of `items`, each with its cursor key in `keys` (a key may hold what the item
    /// does not show).
    public func result(_ items: [JSON], keys: [[JSON]]) -> JSON {
        result(items) { keys[$0] }
    }

    /// The page of `items`; `keyAt(i)` is item i's cursor key, asked for the last item shown
    /// alone, and only when the page goes on (a key may cost a parse: a meeting list's holds
    /// snapshots).
    public func result(_ items: [JSON], keyAt: (Int) throws -> [JSON]) rethrows -> JSON {
        .object(try resultFields(items, keyAt: keyAt))
    }

    /// The page of `items`, each item's cursor key its fields `keyFields`, in order (columns the
    /// list's every item carries: one missing is an internal error, not a crash).
    public func result(_ items: [JSON], keyFields: String...) throws -> JSON {
        .object(try resultFields(items, keyedBy: keyFields))
    }

    /// `result` as the answer's fields, for an answer that adds its own beside them.
    public func resultFields(_ items: [JSON], keyFields: String...) throws -> [String: JSON] {
        try resultFields(items, keyedBy: keyFields)
    }

    func resultFields(_ items: [JSON], keyedBy names: [String]) throws -> [String: JSON] {
        try resultFields(items) { i in
            try names.map { name in
                guard let value = items[i][name] else { throw AppError.internalError() }
                return value
            }
        }
    }

    public func resultFields(_ items: [JSON], keyAt: (Int) throws -> [JSON]) rethrows -> [String: JSON] {
        var shown: [JSON] = [], bytes = 0
        for item in items.prefix(Int(limit)) {
            let size = item.serialized().utf8.count
            if !shown.isEmpty && bytes + size > Page.maxItemBytes { break }
            shown.append(item)
            bytes += size
        }
        let next: JSON = items.count > shown.count ? .string(Page.cursor(scope: scope, after: try keyAt(shown.count - 1))) : .null
        return ["items": .array(shown), "next_cursor": next]
    }

    /// The cursor after `key` in the list `params` ask for.
    public static func cursor(after key: [JSON], for params: Params) -> String { cursor(scope: scope(params), after: key) }

    /// The cursor after `key` in the list of digest `scope`: the digest first, then the key.
    static func cursor(scope: String, after key: [JSON]) -> String { encode([.string(scope)] + key) }

    static func encode(_ key: [JSON]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in JSON.array(key).serialized().utf8 {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ cursor: String) -> [JSON]? {
        let chars = Array(cursor.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        return (try? JSONParser.parse(bytes))?.arrayValue
    }

    public static func resultSchema(_ item: Schema) -> Schema {
        .object([.init("items", .list(item), required: true), .init("next_cursor", .nullable(.text()), required: true)])
    }
}
