import Core

/// The rows of one result, copied out of libpq before the result is cleared, so no pointer
/// into libpq memory outlives it.
public struct Rows: Sendable, Sequence {
    public let columns: [String]
    let columnIndex: [String: Int]
    let values: [[String?]]
    /// Rows reported by INSERT/UPDATE/DELETE (`PQcmdTuples`).
    public let affectedRows: Int

    init(columns: [String], values: [[String?]], affectedRows: Int) {
        self.columns = columns
        var index: [String: Int] = [:]
        for (i, c) in columns.enumerated() where index[c] == nil { index[c] = i }
        self.columnIndex = index
        self.values = values
        self.affectedRows = affectedRows
    }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }
    public var first: Row? { values.isEmpty ? nil : Row(rows: self, index: 0) }

    public subscript(i: Int) -> Row { Row(rows: self, index: i) }

    /// The only row of a result that must have exactly one.
    public func one() throws -> Row {
        guard values.count == 1 else {
            throw PostgresError(code: .decoding, message: "expected exactly one row, got \(values.count)")
        }
        return Row(rows: self, index: 0)
    }

    public func makeIterator() -> AnyIterator<Row> {
        var i = 0
        return AnyIterator {
            guard i < self.values.count else { return nil }
            defer { i += 1 }
            return Row(rows: self, index: i)
        }
    }
}

/// One row with typed accessors. A wrong type or an unexpected NULL is a decoding error
/// naming the column, never a crash.
public struct Row: Sendable {
    let rows: Rows
    let index: Int

    func raw(_ column: String) throws -> String? {
        guard let c = rows.columnIndex[column] else {
            throw PostgresError(code: .decoding, message: "no column \"\(column)\" in result")
        }
        return rows.values[index][c]
    }

    func required(_ column: String) throws -> String {
        guard let v = try raw(column) else {
            throw PostgresError(code: .decoding, message: "column \"\(column)\" is NULL")
        }
        return v
    }

    public func isNull(_ column: String) throws -> Bool { try raw(column) == nil }

    public func string(_ column: String) throws -> String { try required(column) }
    public func optionalString(_ column: String) throws -> String? { try raw(column) }

    public func int(_ column: String) throws -> Int64 {
        let text = try required(column)
        guard let v = Int64(text) else {
            throw PostgresError(code: .decoding, message: "column \"\(column)\" is not an integer: \(text)")
        }
        return v
    }

    public func optionalInt(_ column: String) throws -> Int64? {
        guard try raw(column) != nil else { return nil }
        return try int(column)
    }

    public func bool(_ column: String) throws -> Bool {
        switch try required(column) {
        case "t": return true
        case "f": return false
        case let other: throw PostgresError(code: .decoding, message: "column \"\(column)\" is not a boolean: \(other)")
        }
    }

    public func instant(_ column: String) throws -> Instant {
        let text = try required(column)
        do { return try Instant(lenient: text) } catch {
            throw PostgresError(code: .decoding, message: "column \"\(column)\" is not a timestamp within \(Instant.supportedRangeText): \(text)")
        }
    }

    public func optionalInstant(_ column: String) throws -> Instant? {
        guard try raw(column) != nil else { return nil }
        return try instant(column)
    }

    public func json(_ column: String) throws -> JSON {
        let text = try required(column)
        do { return try JSONParser.parse(text, maxDepth: 512) } catch {
            throw PostgresError(code: .decoding, message: "column \"\(column)\" is not JSON: \(error)")
        }
    }

    public func optionalJSON(_ column: String) throws -> JSON? {
        guard try raw(column) != nil else { return nil }
        return try json(column)
    }

    /// A text[] column in PostgreSQL's array literal syntax (elements without NULLs).
    public func stringArray(_ column: String) throws -> [String] {
        try PostgresArrayLiteral.parse(try required(column))
    }
}

enum PostgresArrayLiteral {
    static func parse(_ text: String) throws -> [String] {
        let chars = Array(text)
        guard chars.first == "{", chars.last == "}" else {
            throw PostgresError(code: .decoding, message: "not an array literal: \(text)")
        }
        var items: [String] = []
        var i = 1
        let end = chars.count - 1
        while i < end {
            var item = ""
            if chars[i] == "\"" {
                i += 1
                while i < end, chars[i] != "\"" {
                    if chars[i] == "\\" { i += 1 }
                    item.append(chars[i])
                    i += 1
                }
                i += 1
            } else {
                while i < end, chars[i] != "," {
                    item.append(chars[i])
                    i += 1
                }
            }
            items.append(item)
            if i < end, chars[i] == "," { i += 1 }
        }
        return items
    }
}
