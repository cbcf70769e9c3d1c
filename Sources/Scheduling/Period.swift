import Core

/// A half-open span of time, [start, end).
public struct Period: Sendable, Hashable, CustomStringConvertible {
    public var start: Instant
    public var end: Instant

    public init(start: Instant, end: Instant) {
        self.start = start
        self.end = end
    }

    public var isEmpty: Bool { end <= start }

    public func contains(_ instant: Instant) -> Bool { start <= instant && instant < end }

    public var description: String { "[\(start.rfc3339), \(end.rfc3339))" }

    func clipped(to window: Period) -> Period {
        Period(start: max(start, window.start), end: min(end, window.end))
    }
}

/// Operations on lists of periods. "Normalized" means sorted by start, non-empty, and neither
/// overlapping nor touching, the form every result of this module takes.
extension [Period] {
    public func normalized() -> [Period] {
        var out: [Period] = []
        out.reserveCapacity(count)
        for period in sorted(by: { $0.start < $1.start }) where !period.isEmpty {
            if let last = out.last, period.start <= last.end {
                out[out.count - 1].end = Swift.max(last.end, period.end)
            } else {
                out.append(period)
            }
        }
        return out
    }

    /// Both lists normalized; one sweep, so the cost is linear in their lengths.
    func subtracting(normalized removals: [Period]) -> [Period] {
        var out: [Period] = []
        var r = 0
        for var period in self {
            while r < removals.count, removals[r].end <= period.start { r += 1 }
            var k = r
            while k < removals.count, removals[k].start < period.end {
                if removals[k].start > period.start {
                    out.append(Period(start: period.start, end: removals[k].start))
                }
                period.start = Swift.max(period.start, removals[k].end)
                k += 1
            }
            if !period.isEmpty { out.append(period) }
        }
        return out
    }
}
