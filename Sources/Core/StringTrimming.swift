extension String {
    /// The string's first `characters` characters and "…" when it is longer: a name a caller
    /// sent, echoed in an answer without its bulk. Bounded in bytes too (4 UTF-8 bytes a
    /// character): one Character may hold any number of scalars ("a" and 10,000 combining marks).
    public func cut(toCharacters characters: Int) -> String {
        let head = boundedPrefix(characters: characters, utf8Bytes: characters * 4)
        return head.endIndex == endIndex ? self : String(head) + "…"
    }

    /// The longest prefix of at most `characters` whole characters and `utf8Bytes` bytes; where
    /// the first character alone is longer than the bytes allow, as many of its scalars as fit
    /// (a grapheme cluster has no bound of its own).
    public func boundedPrefix(characters: Int, utf8Bytes: Int) -> Substring {
        var end = startIndex
        var bytes = 0
        var count = 0
        while end < endIndex, count < characters {
            let next = index(after: end)
            let size = self.utf8.distance(from: end, to: next)
            if bytes + size > utf8Bytes {
                guard count == 0 else { break }
                // One character over the bound: its scalars, as many as fit.
                var scalar = end
                while scalar < next {
                    let following = unicodeScalars.index(after: scalar)
                    let scalarSize = self.utf8.distance(from: scalar, to: following)
                    guard bytes + scalarSize <= utf8Bytes else { break }
                    bytes += scalarSize
                    scalar = following
                }
                return self[startIndex..<scalar]
            }
            bytes += size
            count += 1
            end = next
        }
        return self[startIndex..<end]
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
