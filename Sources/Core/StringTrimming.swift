extension String {
    /// The string without leading and trailing Unicode scalars from `set`, scalar by scalar: a
    /// set of "\r\n" trims a lone "\n" too (as Characters, "\r\n" is one, and "\n" not in it).
    /// Walks indices and copies the kept scalars once (nothing when nothing is trimmed).
    public func trimmingCharacters(in set: String) -> String {
        let trimmed = set.unicodeScalars
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, trimmed.contains(scalars[start]) { scalars.formIndex(after: &start) }
        while start < end {
            let last = scalars.index(before: end)
            guard trimmed.contains(scalars[last]) else { break }
            end = last
        }
        if start == scalars.startIndex && end == scalars.endIndex { return self }
        return String(scalars[start..<end])
    }
}
