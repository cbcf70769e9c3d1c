/// A PostgreSQL snapshot: which transactions it sees (every one before `xmin`; those before
/// `xmax` that are not in `inProgress`). Lists keep the ones they read in their cursors to tell
/// what changed since their first page; they come back from callers, so they are read strictly
/// here before the database sees them.
public struct TransactionSnapshot: Equatable, Sendable {
    public let xmin: Int64
    public let xmax: Int64
    /// In progress when it was taken: ascending, each within `xmin..<xmax`.
    public let inProgress: [Int64]

    /// At most this many transactions in progress are kept (`bounded`), and a cursor's form of a
    /// snapshot holds at most this many: far past what a server's connections allow as a rule
    /// (PostgreSQL's default is 100), and two such snapshots still fit a message.
    public static let maxInProgress = 5_000

    /// `pg_snapshot`'s own form, `xmin:xmax:xip,…`, as the database writes it; nil for anything
    /// it would refuse or could not have written.
    public init?(text: String) {
        guard let (xmin, xmax, xips) = Self.parts(text, maxBytes: 200_000), let s = Self(xmin: xmin, xmax: xmax, offsets: xips.map { $0 - xmin }) else {
            return nil
        }
        self = s
    }

    /// The form a cursor carries, `xmin:(xmax − xmin):(xip − xmin),…`: the same snapshot in a
    /// third of the characters (transactions open together are numbered close together).
    public init?(cursor: String) {
        guard let (xmin, span, offsets) = Self.parts(cursor, maxBytes: 21 * (Self.maxInProgress + 2)), offsets.count <= Self.maxInProgress,
            span <= Int64.max - xmin, let s = Self(xmin: xmin, xmax: xmin + span, offsets: offsets)
        else { return nil }
        self = s
    }

    init(xmin: Int64, xmax: Int64, inProgress: [Int64]) {
        self.xmin = xmin
        self.xmax = xmax
        self.inProgress = inProgress
    }

    /// Nil unless 1 ≤ xmin ≤ xmax and the offsets rise strictly and stay below xmax − xmin, and
    /// no number is one no transaction has: PostgreSQL refuses a snapshot whose xmin or xmax is
    /// 0 in its low 32 bits (every epoch's invalid id), and assigns none of 0, 1 and 2 there.
    private init?(xmin: Int64, xmax: Int64, offsets: [Int64]) {
        func assignable(_ xid: Int64) -> Bool { xid & 0xFFFF_FFFF >= 3 }
        guard xmin >= 1, xmin <= xmax, xmin & 0xFFFF_FFFF != 0, xmax & 0xFFFF_FFFF != 0 else { return nil }
        var last: Int64 = -1
        for offset in offsets {
            guard offset > last, offset < xmax - xmin, assignable(xmin + offset) else { return nil }
            last = offset
        }
        self.init(xmin: xmin, xmax: xmax, inProgress: offsets.map { xmin + $0 })
    }

    /// As `pg_snapshot` reads it.
    public var text: String { "\(xmin):\(xmax):" + inProgress.map(String.init).joined(separator: ",") }

    /// As a cursor carries it (`init?(cursor:)`).
    public var cursor: String { "\(xmin):\(xmax - xmin):" + inProgress.map { String($0 - xmin) }.joined(separator: ",") }

    /// This snapshot, or where it lists more than `maxInProgress` transactions in progress, one
    /// that sees less: everything from the first one left out counts as not seen (its `xmax`).
    /// A list reading with it may list a meeting again; it never takes a change as seen that was not.
    public func bounded(maxInProgress: Int = TransactionSnapshot.maxInProgress) -> TransactionSnapshot {
        guard inProgress.count > maxInProgress else { return self }
        return TransactionSnapshot(xmin: xmin, xmax: inProgress[maxInProgress], inProgress: Array(inProgress.prefix(maxInProgress)))
    }

    /// Three fields `a:b:c,d,…` of plain decimal numbers, none past Int64; nil otherwise.
    private static func parts(_ text: String, maxBytes: Int) -> (Int64, Int64, [Int64])? {
        guard text.utf8.count <= maxBytes else { return nil }
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, let a = number(fields[0]), let b = number(fields[1]) else { return nil }
        var list: [Int64] = []
        if !fields[2].isEmpty {
            for part in fields[2].split(separator: ",", omittingEmptySubsequences: false) {
                guard let n = number(part) else { return nil }
                list.append(n)
            }
        }
        return (a, b, list)
    }

    static func number(_ digits: Substring) -> Int64? {
        guard digits.isASCIIDigits, digits.utf8.count <= 19 else { return nil }
        return Int64(digits)
    }
}
