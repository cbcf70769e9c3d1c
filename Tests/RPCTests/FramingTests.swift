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

    func testLinesAndFramesMixPerMessage() {
        let body = #"{"a":1}"#
        let input = Array("{\"x\":1}\r\n\n  \nContent-Length: \(body.utf8.count)\r\n\r\n\(body){\"y\":2}\n".utf8)
        XCTAssertEqual(messages(input), [
            .message(Array("{\"x\":1}".utf8), .line), .message(Array(body.utf8), .contentLength), .message(Array("{\"y\":2}".utf8), .line),
        ])
    }

    func testOversizedMessagesAreSkippedWholeAndReadingGoesOn() {
        let long = String(repeating: "x", count: 500)
        let input = Array("\(long)\n{\"ok\":1}\nContent-Length: 300\r\n\r\n\(String(repeating: "y", count: 300)){\"ok\":2}\n".utf8)
        XCTAssertEqual(messages(input), [
            .oversized(.line), .message(Array("{\"ok\":1}".utf8), .line), .oversized(.contentLength), .message(Array("{\"ok\":2}".utf8), .line),
        ])
    }

    func testALastLineWithoutNewlineAndABadHeader() {
        XCTAssertEqual(messages(Array("{\"last\":true}".utf8)), [.message(Array("{\"last\":true}".utf8), .line)])
        if case .badHeader = messages(Array("Content-Length: abc\r\n\r\n{}".utf8)).first {} else { XCTFail("a bad length is reported") }
    }
}
