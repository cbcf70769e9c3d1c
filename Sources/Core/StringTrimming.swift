extension String {
    /// The string's first `characters` characters and "…" when it is longer: a name a caller
    /// sent, echoed in an answer without its bulk.
    public func cut(toCharacters characters: Int) -> String {
        guard let end = index(startIndex, offsetBy: characters, limitedBy: endIndex), end < endIndex else { return self }
        return String(self[..<end]) + "…"
    }

    /// The string without leading and trailing Unicode scalars from `set`, scalar by scalar: a
    /// set of "\r\n" trims a lone "\n" too (as Characters, "\r\n" is one, and "\n" not in it).
    public func trimmingCharacters(in set: String) -> String {
        let trimmed = set.unicodeScalars
        return trimmingScalars { trimmed.contains($0) }
    }

    /// The string without the Unicode whitespace around it (spaces of every width, the no-break
    /// space, tabs and line breaks).
    public func trimmingWhitespace() -> String { trimmingScalars(where: \.properties.isWhitespace) }

    /// The string without leading and trailing scalars for which `trim` holds. Walks indices and
    /// copies the kept scalars once (nothing when nothing is trimmed).
    public func trimmingScalars(where trim: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, trim(scalars[start]) { scalars.formIndex(after: &start) }
        while start < end {
            let last = scalars.index(before: end)
            guard trim(scalars[last]) else { break }
            end = last
        }
        if start == scalars.startIndex && end == scalars.endIndex { return self }
        return String(scalars[start..<end])
    }
}
