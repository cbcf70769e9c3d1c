extension String {
    /// The string's first `characters` characters and "…" when it is longer: a name a caller
    /// sent, echoed in an answer without its bulk. Bounded in bytes too (4 UTF-8 bytes a
    /// character): one Character may hold any number of scalars ("a" and 10,000 combining marks).
    public func cut(toCharacters characters: Int) -> String {
        let head = boundedPrefix(characters: characters, utf8Bytes: characters * 4)
        return head.endIndex == endIndex ? self : String(head) + "…"
    }

    /// The most bytes of a character kept whole by `boundedPrefix` (longer ones are text made to
    /// be long: one letter and hundreds of marks).
    static let wholeCharacterBytes = 64

    /// The longest prefix of at most `characters` characters and `utf8Bytes` bytes: whole
    /// characters, then, of one the bytes left cannot hold that is longer than any real one
    /// (`wholeCharacterBytes`: an emoji family is 25), as many of its scalars as fit (a grapheme
    /// cluster has no bound of its own; "Ulf: a" and a thousand accents keeps its "a").
    public func boundedPrefix(characters: Int, utf8Bytes: Int) -> Substring {
        var end = startIndex
        var bytes = 0
        var count = 0
        while end < endIndex, count < characters {
            let next = index(after: end)
            let size = self.utf8.distance(from: end, to: next)
            if bytes + size > utf8Bytes {
                // A real character that does not fit ends the prefix; a longer one is cut.
                guard size > Self.wholeCharacterBytes else { break }
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
