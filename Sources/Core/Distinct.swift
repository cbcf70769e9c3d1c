/// Lists whose values count once each: skills, session types, feedback questions, ids.
extension Array where Element: Hashable {
    /// Each element once, where it first comes.
    public func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }

    /// The first element that comes a second time, if any.
    public func firstRepeated() -> Element? {
        var seen = Set<Element>()
        return first { !seen.insert($0).inserted }
    }
}
