import XCTest

@testable import Core

/// The CSV that finance opens in a spreadsheet: a hostile reference or reason can neither add a
/// row nor run as a formula, at the start of a cell or after a line break inside it.
final class CSVWriterTests: XCTestCase {
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠"]

    /// Whether a spreadsheet would run the line: its first scalar, once the spaces a spreadsheet
    /// may trim are gone, starts a formula.
    static func startsFormula(_ line: Substring) -> Bool {
        let scalars = line.unicodeScalars.drop { $0 == " " || $0 == "\u{A0}" || $0 == "\u{3000}" }
        return scalars.first.map(formulaStarts.contains) ?? false
    }

    /// Every line a spreadsheet shows of a cell: the cell split at CR LF, CR and LF.
    static func linesOf(_ cell: String) -> [Substring] {
        cell.replacingOccurrences(of: "\r\n", with: "\n").split(omittingEmptySubsequences: false) { $0 == "\r" || $0 == "\n" }.map { $0[...] }
    }

    func testQuotesAndDefusesFormulasAndReadsBack() throws {
        let text = CSVWriter.table(header: ["a", "b", "c"], rows: [[.int(-5), "=cmd|' /C calc'!A0", "he said \"hi\", twice"], [.null, "+1", "two\nlines"]])
        XCTAssertEqual(text, "a,b,c\r\n-5,'=cmd|' /C calc'!A0,\"he said \"\"hi\"\", twice\"\r\n,'+1,\"two\nlines\"\r\n")
        XCTAssertEqual(try CSVReader.parse(text).map(\.fields), [["a", "b", "c"], ["-5", "'=cmd|' /C calc'!A0", "he said \"hi\", twice"], ["", "'+1", "two\nlines"]])
    }

    /// CR LF is one Swift Character equal to neither CR nor LF: the writer must still see both.
    func testLineBreaksAreQuotedAndEachLineGuarded() {
        let cases: [(JSON, String)] = [
            ("order-42\r\n=cmd|' /C calc'!A0", "\"order-42\r\n'=cmd|' /C calc'!A0\""),
            ("\r\n=cmd|' /C calc'!A0", "\"'\r\n'=cmd|' /C calc'!A0\""),
            ("a\r=1+1", "\"a\r'=1+1\""),
            ("a\n+1", "\"a\n'+1\""),
            ("a\n\n-1\r\n@SUM(A1)\r\n\tx", "\"a\n\n'-1\r\n'@SUM(A1)\r\n'\tx\""),
            ("\n", "\"'\n\""),
            ("\r\n", "\"'\r\n\""),
            ("\ttab", "'\ttab"),
            ("a\r\nb", "\"a\r\nb\""),
            ("line\u{2028}=x", "line\u{2028}=x"),
            ("-100", "'-100"),
            (.int(-100), "-100"),
            (.int(0), "0"),
            ("plain, \"quoted\"", "\"plain, \"\"quoted\"\"\""),
            ("é=1", "é=1"),
            (" =1+1", "' =1+1"),
            ("\u{A0}\u{A0}@SUM(A1)", "'\u{A0}\u{A0}@SUM(A1)"),
            ("a\n  -2", "\"a\n'  -2\""),
            ("\u{3000}+1", "'\u{3000}+1"),
            (" plain", " plain"),
            ("a = b", "a = b"),
            ("＝1+1", "'＝1+1"),
            ("＠SUM(A1)", "'＠SUM(A1)"),
            ("\u{3000}＋1", "'\u{3000}＋1"),
            ("a\n－1", "\"a\n'－1\""),
            ("1＝1", "1＝1"),
        ]
        for (value, written) in cases {
            XCTAssertEqual(CSVWriter.cell(value), written, "\(value.serialized())")
        }
    }

    /// A cell reads back as the text it was, apostrophes of its own included: the guard is one
    /// apostrophe more than the line already had before its formula start.
    func testEveryTextReadsBackAsItWas() throws {
        let texts = [" '=x", "' =x", " ", "' ", "x\n =1", "'=2+3", "''=x", "'@SUM(A1)", "x\n'-1", "a\r\n''+1", "'\nx", "''\r\n", "'plain", "it's", "'", "''", "=x", "\n'", "a\n'\n=b", "＝x", "'＠x", " ＋1"]
        for text in texts {
            let written = CSVWriter.table(header: ["t"], rows: [[.string(text)]])
            let read = try CSVReader.parse(written)[1].fields[0]
            XCTAssertEqual(CSVWriter.unguarded(read), text, "\(text.debugDescription) written \(written.debugDescription)")
            for line in Self.linesOf(read) {
                XCTAssertFalse(Self.startsFormula(line), "\(text.debugDescription): a line starts a formula")
            }
        }
        XCTAssertEqual(CSVWriter.cell("'=2+3"), "''=2+3")
        XCTAssertEqual(CSVWriter.cell("'plain"), "'plain", "an apostrophe before no formula start is left alone")
    }

    func testHostileCellsNeverAddRowsOrFormulas() throws {
        let hostile: [JSON] = [
            "order-42\r\n=cmd|' /C calc'!A0", "\r\n=cmd|' /C calc'!A0", "x\r=HYPERLINK(\"http://evil.example\")", "x\n@SUM(A1)", "\n\n\n",
            "a,b\r\n-2+3,\"q\"", "\u{0}\r\n+1", "ž\r\n\r\n=1", " =HYPERLINK(\"http://evil.example\")", "x\r\n\u{A0}-1+2", "＝HYPERLINK(\"http://evil.example\")",
        ]
        let rows: [[JSON]] = hostile.enumerated().map { i, text in [.int(Int64(-100 - i)), text, .string("r\(i)")] }
        let text = CSVWriter.table(header: ["credits", "reference", "tag"], rows: rows)
        let records = try CSVReader.parse(text)
        XCTAssertEqual(records.count, rows.count + 1, "a header and one record per row: \(text.debugDescription)")
        for (i, record) in records.dropFirst().enumerated() {
            guard record.fields.count == 3 else { return XCTFail("record \(i + 1) has \(record.fields.count) fields: \(record.fields)") }
            XCTAssertEqual(record.fields[0], String(-100 - i), "numbers stay numbers")
            XCTAssertEqual(record.fields[2], "r\(i)")
            for line in Self.linesOf(record.fields[1]) {
                XCTAssertFalse(Self.startsFormula(line), "a line of \(record.fields[1].debugDescription) starts a formula")
            }
            XCTAssertFalse(Self.startsFormula(record.fields[1][...]))
        }
    }
}

/// Finance CSV for spreadsheets: instants as dates a spreadsheet reads, named `…_utc`.
final class CSVColumnTests: XCTestCase {
    func testInstantsAreWrittenAsUTCDatesInColumnsNamedUTC() throws {
        let columns: [CSVColumn] = [.value("seq"), .instant("created_at"), .value("kind", as: "transfer_kind"), .instant("as_of")]
        XCTAssertEqual(columns.map(\.name), ["seq", "created_at_utc", "transfer_kind", "as_of_utc"])
        let items: [JSON] = [
            ["seq": 1, "created_at": "2030-03-04T12:00:00.123456Z", "kind": "=grant", "as_of": .null],
            ["seq": 2, "created_at": "0001-01-01T00:00:00Z", "kind": "hold", "as_of": "9999-12-31T23:59:59.999999Z"],
        ]
        XCTAssertEqual(
            CSVWriter.table(columns, items),
            "seq,created_at_utc,transfer_kind,as_of_utc\r\n1,2030-03-04 12:00:00,'=grant,\r\n2,0001-01-01 00:00:00,hold,9999-12-31 23:59:59\r\n")
        XCTAssertEqual(CSVWriter.spreadsheetTime(try Instant(rfc3339: "2030-03-04T07:00:59.999-05:00")), "2030-03-04 12:00:59")
        XCTAssertEqual(CSVWriter.spreadsheetTime(Instant(microseconds: -1)), "1969-12-31 23:59:59", "truncated, not rounded, before 1970 too")
        XCTAssertEqual(Array(CSVWriter.byteOrderMark.utf8), [0xEF, 0xBB, 0xBF])
    }
}
