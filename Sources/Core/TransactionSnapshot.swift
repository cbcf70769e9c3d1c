/// A PostgreSQL snapshot as `pg_snapshot` writes it, `xmin:xmax:xip,…`: which transactions it
/// sees (every one before `xmin`; those before `xmax` that are not in `inProgress`). Lists keep
/// one in their cursors to tell what changed since their first page; it comes back from callers,
/// so it is read strictly here before the database sees it.
public struct TransactionSnapshot: Equatable, Sendable {
    public let xmin: Int64
    public let xmax: Int64
    /// In progress when it was taken: ascending, each within `xmin..<xmax`.
    public let inProgress: [Int64]

    /// At most this many transactions in progress are kept (`bounded`): a cursor stays short
    /// whatever the server's load.
    public static let maxInProgress = 50

    /// Nil for anything `pg_snapshot` would refuse or PostgreSQL could not have written: a text
    /// over 2,000 bytes, numbers not in order or not in range.
    public init?(text: String) {
        guard text.utf8.count <= 2_000 else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let xmin = Self.number(parts[0]), let xmax = Self.number(parts[1]), xmin >= 1, xmin <= xmax else { return nil }
        var inProgress: [Int64] = []
        if !parts[2].isEmpty {
            for part in parts[2].split(separator: ",", omittingEmptySubsequences: false) {
                guard let xid = Self.number(part), xmin <= xid, xmax > xid, (inProgress.last ?? xmin - 1) < xid else { return nil }
                inProgress.append(xid)
            }
        }
        self.init(xmin: xmin, xmax: xmax, inProgress: inProgress)
    }

    init(xmin: Int64, xmax: Int64, inProgress: [Int64]) {
        self.xmin = xmin
        self.xmax = xmax
        self.inProgress = inProgress
    }

    public var text: String { "\(xmin):\(xmax):" + inProgress.map(String.init).joined(separator: ",") }

    /// This snapshot, or where it lists more than `maxInProgress` transactions in progress, one
    /// that sees less: everything from the first one left out counts as not seen (its `xmax`).
    /// A list reading with it may list a meeting again; it never takes a change as seen that was not.
    public func bounded(maxInProgress: Int = TransactionSnapshot.maxInProgress) -> TransactionSnapshot {
        guard inProgress.count > maxInProgress else { return self }
        return TransactionSnapshot(xmin: xmin, xmax: inProgress[maxInProgress], inProgress: Array(inProgress.prefix(maxInProgress)))
    }

    static func number(_ digits: Substring) -> Int64? {
        guard !digits.isEmpty, digits.utf8.count <= 19, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int64(digits)
    }
}
