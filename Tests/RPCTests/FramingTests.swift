import Foundation
import XCTest

@testable import RPC

#if canImport(Glibc)
    import Glibc
#endif

final class FramingTests: XCTestCase {
    /// The messages a reader finds in `input`, written through a pipe by another thread.
    func messages(_ input: [UInt8], limit: Int = 100) -> [IncomingMessage] {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let writeEnd = fds[1]
        let writer = Thread {
            _ = input.withUnsafeBytes { Glibc.write(writeEnd, $0.baseAddress, $0.count) }
            close(writeEnd)
        }
        writer.start()
        let reader = MessageReader(fd: fds[0], maxMessageBytes: limit)
        var found: [IncomingMessage] = []
        while let m = reader.next() { found.append(m) }
        close(fds[0])
        return found
    }

    /// The same, written a byte at a time with a pause after each: every split across reads.
    func messagesByteByByte(_ input: [UInt8]) -> [IncomingMessage] {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let writeEnd = fds[1]
        let writer = Thread {
            for b in input {
                _ = [b].withUnsafeBytes { Glibc.write(writeEnd, $0.baseAddress, 1) }
                usleep(200)
            }
            close(writeEnd)
        }
        writer.start()
        let reader = MessageReader(fd: fds[0], maxMessageBytes: 100)
        var found: [IncomingMessage] = []
        while let m = reader.next() { found.append(m) }
        close(fds[0])
        return found
    }

    func testLinesAndFramesMixPerMessage() {
        let body = #"{"a":1}"#
        let input = Array("{\"x\":1}\r\n\n  \nContent-Length: \(body.utf8.count)\r\n\r\n\(body){\"y\":2}\n".utf8)
        XCTAssertEqual(messages(input), [
            .message(Array("{\"x\":1}".utf8), .line), .message(Array(body.utf8), .contentLength), .message(Array("{\"y\":2}".utf8), .line),
        ])
    }

    /// A byte-order mark before a message (a writer that starts its stream with one, or each
    /// message) is skipped as blank space, before a line or a header; one inside a line is the
    /// line's, and so is a second one before it (a frame's body takes one too: Dispatcher).
    func testAByteOrderMarkBeforeAMessageIsSkipped() {
        let bom = "\u{FEFF}", body = #"{"a":1}"#
        let input = Array("\(bom){\"x\":1}\n\(bom)Content-Length: \(body.utf8.count)\r\n\r\n\(body)\(bom)\n{\"y\":\"\(bom)\"}\n\(bom)\(bom){}\n".utf8)
        XCTAssertEqual(messages(input), [
            .message(Array("{\"x\":1}".utf8), .line), .message(Array(body.utf8), .contentLength), .message(Array("{\"y\":\"\(bom)\"}".utf8), .line),
            .message(Array("\(bom){}".utf8), .line),
        ])
    }

    /// The same, written a byte at a time: a mark split across reads is still one mark.
    func testAByteOrderMarkSplitAcrossReadsIsSkipped() {
        let body = #"{"a":1}"#
        let input = Array("\u{FEFF}{\"x\":1}\n\u{FEFF}Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        let found = messagesByteByByte(input)
        XCTAssertEqual(found, [.message(Array("{\"x\":1}".utf8), .line), .message(Array(body.utf8), .contentLength)])
    }

    func testOversizedMessagesAreSkippedWholeAndReadingGoesOn() {
        let long = String(repeating: "x", count: 500)
        let input = Array("\(long)\n{\"ok\":1}\nContent-Length: 300\r\n\r\n\(String(repeating: "y", count: 300)){\"ok\":2}\n".utf8)
        XCTAssertEqual(messages(input), [
            .oversized(.line, head: Array(long.utf8)), .message(Array("{\"ok\":1}".utf8), .line),
            .oversized(.contentLength, head: Array(String(repeating: "y", count: 300).utf8)), .message(Array("{\"ok\":2}".utf8), .line),
        ])
    }

    /// A pipe whose write end stays open (a front end that waits for its answer), holding `input`.
    func openPipe(holding input: String) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        _ = Array(input.utf8).withUnsafeBytes { Glibc.write(fds[1], $0.baseAddress, $0.count) }
        return (fds[0], fds[1])
    }

    /// A frame over the limit whose body is all there is is refused at once: the reader waited
    /// for more input to peek the id from (a front end waiting for the answer hung), and took
    /// the id from the bytes after the body.
    func testAnOversizedFrameIsRefusedWithoutWaitingForMoreInput() {
        let body = #"{"jsonrpc":"2.0","id":"f","method":"system.ping","params":{"actor":""# + String(repeating: "x", count: 420) + #""}}"#
        let fds = openPipe(holding: "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        defer { close(fds.read); close(fds.write) }
        let began = Date()
        let reader = MessageReader(fd: fds.read, maxMessageBytes: 400) { Date().timeIntervalSince(began) > 3 }
        XCTAssertEqual(reader.next(), .oversized(.contentLength, head: Array(body.utf8)))
        XCTAssertLessThan(Date().timeIntervalSince(began), 1.5, "answered without waiting for input that does not come")
    }

    /// A shutdown (SIGTERM) waits for nothing more: what was sent before it is given whole,
    /// whichever read takes it in (here a second write, not read yet when the stop comes), as at
    /// the end of input, and the start of a message whose rest never came is dropped (at the end
    /// of input it is a last line without its newline; an oversized one is dropped too).
    func testAStopGivesWhatWasSentBeforeItAndDropsAPartOfAMessage() {
        let fds = openPipe(holding: "{\"a\":1}\n")
        defer { close(fds.read); close(fds.write) }
        nonisolated(unsafe) var stopping = false
        let reader = MessageReader(fd: fds.read, maxMessageBytes: 100) { stopping }
        XCTAssertEqual(reader.next(), .message(Array("{\"a\":1}".utf8), .line))
        _ = Array("{\"b\":2}\n{\"c\":".utf8).withUnsafeBytes { Glibc.write(fds.write, $0.baseAddress, $0.count) }
        stopping = true
        XCTAssertEqual(reader.next(), .message(Array("{\"b\":2}".utf8), .line), "sent before the stop, read after it")
        XCTAssertNil(reader.next(), "the part of a message is dropped")

        let oversized = openPipe(holding: String(repeating: "x", count: 150))
        defer { close(oversized.read); close(oversized.write) }
        XCTAssertNil(MessageReader(fd: oversized.read, maxMessageBytes: 100) { true }.next(), "an oversized line cut off by the stop")
    }

    func testALastLineWithoutNewlineAndABadHeader() {
        XCTAssertEqual(messages(Array("{\"last\":true}".utf8)), [.message(Array("{\"last\":true}".utf8), .line)])
        if case .badHeader = messages(Array("Content-Length: abc\r\n\r\n{}".utf8)).first {} else { XCTFail("a bad length is reported") }
    }
    /// A message as bytes.
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func frame(_ body: String, separator: String) -> String { "Content-Length: \(body.utf8.count)\(separator)\(body)" }

    func testAnLFFramedMessageFollowedByACRLFFramedOneAreBothRead() {
        let first = #"{"id":1}"#, second = #"{"id":2}"#
        let input = frame(first, separator: "\n\n") + frame(second, separator: "\r\n\r\n")
        XCTAssertEqual(messages(bytes(input)), [.message(bytes(first), .contentLength), .message(bytes(second), .contentLength)])
    }

    func testACRLFFramedMessageFollowedByAnLFFramedOneAreBothRead() {
        let first = #"{"id":1}"#, second = #"{"id":2}"#
        let input = frame(first, separator: "\r\n\r\n") + frame(second, separator: "\n\n")
        XCTAssertEqual(messages(bytes(input)), [.message(bytes(first), .contentLength), .message(bytes(second), .contentLength)])
    }

    func testCRLFCRLFInsideAnLFFramedBodyIsPartOfTheBody() {
        let body = "{\"text\":\"a\r\n\r\nb\"}", after = #"{"id":3}"#
        let input = frame(body, separator: "\n\n") + after + "\n"
        XCTAssertEqual(messages(bytes(input)), [.message(bytes(body), .contentLength), .message(bytes(after), .line)])
    }

    func testNDJSONThenFramedThenNDJSON() {
        let line = #"{"id":"line"}"#, body = #"{"id":"frame"}"#
        for separator in ["\n\n", "\r\n\r\n", "\r\n\n", "\n\r\n"] {
            let input = line + "\n" + frame(body, separator: separator) + line + "\r\n"
            XCTAssertEqual(messages(bytes(input)), [.message(bytes(line), .line), .message(bytes(body), .contentLength), .message(bytes(line), .line)],
                           "separator \(separator.debugDescription)")
        }
    }

    func testExtraHeadersAreReadUpToTheFirstEmptyLine() {
        let body = #"{"id":4}"#
        let input = "Content-Length: \(body.utf8.count)\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n\(body)"
            + "content-length: \(body.utf8.count)\nX-Other: 1\n\n\(body)"
        XCTAssertEqual(messages(bytes(input)), [.message(bytes(body), .contentLength), .message(bytes(body), .contentLength)])
    }

    /// Headers and bodies split at every byte across writes still make the same messages.
    func testHeadersSplitAcrossReads() {
        let body = "{\"t\":\"x\r\n\r\ny\"}"
        let input = bytes(frame(body, separator: "\n\n") + frame(body, separator: "\r\n\r\n") + "{\"id\":5}\n")
        let found = messagesByteByByte(input)
        XCTAssertEqual(found, [.message(bytes(body), .contentLength), .message(bytes(body), .contentLength), .message(bytes("{\"id\":5}"), .line)])
    }

    /// After a header block that cannot be read, where its body ends is unknown: nothing of it is
    /// taken for a message (a refused message must never run); reading goes on at the next
    /// Content-Length header, and after that frame as usual.
    func testABadHeaderBlocksBodyIsNeverAMessageAndReadingGoesOnAtTheNextHeader() {
        func isBadHeader(_ m: IncomingMessage?) -> Bool { if case .badHeader = m { return true } else { return false } }
        let next = "Content-Length: 8\r\n\r\n{\"id\":7}{\"id\":8}\n"
        for header in ["Content-Length: x", "Content-Length: 99999999999999999999", "Content-Length: -1", "Content-Length: +8",
                       "Content-Length: 8\r\nContent-Length: 9", "X-Other: 1"] {
            // The bad frame's body with and without a newline after it.
            for body in ["{\"id\":6}\n", "{\"id\":6}"] {
                let found = messages(bytes((header.hasPrefix("X-") ? "Content-Type: a\r\n" : "") + header + "\r\n\r\n" + body + next))
                XCTAssertEqual(found.count, 3, "\(header) \(body): \(found)")
                XCTAssertTrue(isBadHeader(found.first), "\(header): \(found)")
                XCTAssertEqual(Array(found.dropFirst()), [.message(bytes("{\"id\":7}"), .contentLength), .message(bytes("{\"id\":8}"), .line)], header)
            }
        }
        // A header block past 8,192 bytes is refused saying so (the limit is in the words).
        let long = messages(bytes("Content-Length: 8\r\nX-Pad: " + String(repeating: "p", count: 9_000) + "\r\n\r\n{\"id\":6}" + next), limit: 100_000)
        guard case .badHeader(let why)? = long.first else { return XCTFail("\(long)") }
        XCTAssertTrue(why.contains("over 8192 bytes"), why)
        // With no header after it, the rest of the input is the bad frame's.
        let alone = messages(bytes("Content-Length: 99999999999999999999\r\n\r\n{\"id\":1}\n"))
        XCTAssertEqual(alone.count, 1, "\(alone)")
        XCTAssertTrue(isBadHeader(alone.first))
    }

    /// Told that a frame was not one JSON value (its length most likely wrong), the reader reads
    /// the next frame from its header: the rest of that frame's body is never read as a line with
    /// the next header glued to it.
    func testAfterAnUnreadableFrameReadingGoesOnAtTheNextHeader() {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let first = #"{"id":"café"}"#, second = #"{"id":2}"#
        let input = bytes("Content-Length: \(first.count)\r\n\r\n\(first)Content-Length: \(second.utf8.count)\r\n\r\n\(second)")
        _ = input.withUnsafeBytes { Glibc.write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let reader = MessageReader(fd: fds[0], maxMessageBytes: 1000)
        XCTAssertEqual(reader.next(), .message(Array(first.utf8.dropLast()), .contentLength), "one byte short")
        reader.frameWasUnreadable()
        XCTAssertEqual(reader.next(), .message(bytes(second), .contentLength), "the next frame, not '}Content-Length: 8' as a line")
        XCTAssertNil(reader.next())
        close(fds[0])
    }

    /// After an unreadable frame of the right length, a line of JSON is a line: nothing is skipped.
    func testALineAfterAnUnreadableFrameIsALine() {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let input = bytes("Content-Length: 2\r\n\r\n{]{\"id\":1}\n")
        _ = input.withUnsafeBytes { Glibc.write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let reader = MessageReader(fd: fds[0], maxMessageBytes: 1000)
        XCTAssertEqual(reader.next(), .message(bytes("{]"), .contentLength))
        reader.frameWasUnreadable()
        XCTAssertEqual(reader.next(), .message(bytes("{\"id\":1}"), .line))
        close(fds[0])
    }

    /// LSP's other header may come first.
    func testAContentTypeHeaderMayComeFirst() {
        let body = #"{"a":1}"#
        XCTAssertEqual(messages(bytes("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 7\r\n\r\n\(body)")),
                       [.message(bytes(body), .contentLength)])
    }
}
