import Core

/// Where an answer listing periods must end to hold at most `maxItems` of them: the start of
/// the first period left out, so the answer covers [from, cut) and the caller asks again from
/// the cut. Nil when every period fits. Periods starting at the same instant stay together, and
/// the cut never falls at the earliest start, so each answer lists something.
public func listingCut(starts: [Instant], maxItems: Int) -> Instant? {
    precondition(maxItems >= 1, "an answer must be able to list one period")
    guard starts.count > maxItems else { return nil }
    let sorted = starts.sorted()
    guard sorted[maxItems] == sorted[0] else { return sorted[maxItems] }
    return sorted.first { $0 > sorted[0] }
}
