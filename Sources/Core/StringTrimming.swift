extension String {
    /// The string without leading and trailing Unicode scalars from `set`, scalar by scalar: a
    /// set of "\r\n" trims a lone "\n" too (as Characters, "\r\n" is one, and "\n" not in it).
    public func trimmingCharacters(in set: String) -> String {
        let trimmed = Set(set.unicodeScalars)
        var s = Substring.UnicodeScalarView(unicodeScalars)
        while let f = s.first, trimmed.contains(f) { s.removeFirst() }
        while let l = s.last, trimmed.contains(l) { s.removeLast() }
        return String(String.UnicodeScalarView(s))
    }
}
