#if canImport(Glibc)
    import Glibc
#endif

import Core

/// How a message arrived; the reply goes back the same way.
public enum Framing: Sendable, Equatable {
    case line
    case contentLength
}

public enum IncomingMessage: Equatable {
    case message([UInt8], Framing)
    /// Larger than the limit: already skipped, to be answered with an error. `head`: its first
    /// bytes (at most `RequestIdPeek.headBytes`), where its id may be read.
    case oversized(Framing, head: [UInt8])
    /// A `Content-Length` header block that could not be read.
    case badHeader(String)
}

/// Reads messages from a file descriptor: NDJSON lines, or LSP-style `Content-Length` frames,
/// detected per message. Memory stays bounded by the message limit: an oversized line is
/// skipped up to its newline without being kept.
public final class MessageReader {
    private let fd: Int32
    private let maxMessageBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    /// A shutdown was requested (`shouldStop`): nothing more is read, the messages already read
    /// whole are still given, and a part of one is dropped (the rest of it never came).
    private var stopped = false
    /// After a header block that could not be read, where its body ends is unknown: input is
    /// skipped up to the next `Content-Length` header, so no byte of that body is ever taken
    /// for a message of its own (a refused message is never run).
    private var resyncing = false
    private static let chunkBytes = 65_536
    private static let maxHeaderBytes = 8_192
    private static let pollMilliseconds: Int32 = 200
    /// Asked while waiting for input: true ends the input (a shutdown was requested).
    private let shouldStop: () -> Bool

    public init(fd: Int32, maxMessageBytes: Int, shouldStop: @escaping () -> Bool = { false }) {
        self.fd = fd
        self.maxMessageBytes = maxMessageBytes
        self.shouldStop = shouldStop
    }

    private var available: Int { buffer.count - start }

    /// Reads more bytes; false at end of input.
    private func fill() -> Bool {
        if eof { return false }
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: MessageReader.chunkBytes)
        while true {
            // Wait in short slices so a shutdown request is noticed while idle.
            var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, MessageReader.pollMilliseconds)
            if shouldStop() {
                eof = true
                stopped = true
                return drainReady(into: &chunk)
            }
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, MessageReader.chunkBytes) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
            if n < 0 && errno == EINTR { continue }
            eof = true
            return false
        }
    }

    /// On a shutdown, what was sent before it is answered whichever read would have taken it in:
    /// what is ready now is read without waiting, up to one message's worth. True when any was.
    private func drainReady(into chunk: inout [UInt8]) -> Bool {
        var drained = 0
        while drained < maxMessageBytes {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 0) > 0 else { break }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, MessageReader.chunkBytes) }
            guard n > 0 else { break }
            buffer.append(contentsOf: chunk[0..<n])
            drained += n
        }
        return drained > 0
    }

    private func firstIndex(of byte: UInt8, from offset: Int) -> Int? {
        var i = start + offset
        while i < buffer.count {
            if buffer[i] == byte { return i }
            i += 1
        }
        return nil
    }

    public func next() -> IncomingMessage? {
        // One byte-order mark before each message is skipped (a frame's body may start with one
        // too, Dispatcher.handle); a second one is the message's, and no JSON.
        var skippedBOM = false
        while true {
            if resyncing && !skipToNextHeader() { return nil }
            // Skip blank space between messages (a byte compared as it is: this loop runs once per
            // byte of what a caller may send in any amount).
            let from = start
            start = buffer.withUnsafeBufferPointer { bytes in
                var i = from
                while i < bytes.count, MessageReader.isBlank(bytes[i]) { i += 1 }
                return i
            }
            if available == 0 {
                if !fill() { return nil }
                continue
            }
            // A UTF-8 byte-order mark before a message (some writers start every stream with one)
            // is skipped as blank space is: RFC 8259 §8.1 lets a reader ignore it.
            if !skippedBOM, MessageReader.startsWithBOM(buffer[start...]) {
                start += MessageReader.bom.count
                skippedBOM = true
                continue
            }
            if startsWithContentLength() {
                framingInDoubt = false
                return nextFramed()
            }
            if available < 15 && !eof && !buffer[start...].contains(0x0A) {
                if !fill() { continue }
                continue
            }
            if framingInDoubt, let header = headerInsideLine() {
                // The tail of a body cut short, glued to the next header: skipped, not answered.
                start = header
                continue
            }
            return nextLine()
        }
    }

    /// A frame was not one JSON value, and no header has started a message since
    /// (`frameWasUnreadable`).
    private var framingInDoubt = false

    /// The frame just read was not one JSON value: its `Content-Length` may have been wrong
    /// (counted in characters, not bytes), leaving the rest of its body before the next header,
    /// or taking the start of that header with it. Until a header starts a message again, a line
    /// that holds a `Content-Length` header after its start is read from that header: the bytes
    /// before it are the body's tail, not a message, and the next frame is read as a frame (its
    /// header glued to them was read as part of a line, and every later frame with it). Any
    /// other line is a line as ever.
    public func frameWasUnreadable() { framingInDoubt = true }

    /// Where a `Content-Length` header starts inside the line at `start` (past its first byte),
    /// the whole line read first; nil when there is none.
    private func headerInsideLine() -> Int? {
        while firstIndex(of: 0x0A, from: 0) == nil && available <= maxMessageBytes && fill() {}
        return lengthHeader(from: start + 1, before: firstIndex(of: 0x0A, from: 0) ?? buffer.count)
    }

    /// Where the first `Content-Length:` starts within `from..<end` of the buffer, whole.
    private func lengthHeader(from: Int, before end: Int) -> Int? {
        var i = from
        while i + MessageReader.lengthHeader.count <= end {
            if matches(MessageReader.lengthHeader, at: i) { return i }
            i += 1
        }
        return nil
    }

    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Whether `bytes` start with a UTF-8 byte-order mark.
    public static func startsWithBOM(_ bytes: ArraySlice<UInt8>) -> Bool { bytes.starts(with: bom) }

    /// `bytes` without the byte-order mark they may start with (a frame's body: its first one).
    public static func withoutBOM(_ bytes: [UInt8]) -> [UInt8] { startsWithBOM(bytes[...]) ? Array(bytes.dropFirst(bom.count)) : bytes }

    @inline(__always) private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private static let lengthHeader = Array("content-length:".utf8)
    private static let typeHeader = Array("content-type:".utf8)

    /// A header block starts with either header LSP defines.
    private func startsWithContentLength() -> Bool {
        matches(MessageReader.lengthHeader, at: start) || matches(MessageReader.typeHeader, at: start)
    }

    /// `name` (lower case) at `index`, whatever the case of the input.
    private func matches(_ name: [UInt8], at index: Int) -> Bool {
        guard buffer.count - index >= name.count else { return false }
        for i in 0..<name.count {
            var b = buffer[index + i]
            if b >= 65 && b <= 90 { b += 32 }
            if b != name[i] { return false }
        }
        return true
    }

    /// Drops input up to the next `Content-Length:`; false at end of input.
    private func skipToNextHeader() -> Bool {
        while true {
            if let header = lengthHeader(from: start, before: buffer.count) {
                start = header
                resyncing = false
                return true
            }
            // Keep a tail that may be the start of the header, read on.
            start = max(start, buffer.count - (MessageReader.lengthHeader.count - 1))
            if !fill() {
                start = buffer.count
                return false
            }
        }
    }

    /// A header block that cannot be read: its body is skipped with whatever follows up to the
    /// next header (see `resyncing`).
    private func badHeader(_ reason: String) -> IncomingMessage {
        resyncing = true
        return .badHeader(reason)
    }

    private func nextLine() -> IncomingMessage? {
        var scanned = 0
        while true {
            if let nl = firstIndex(of: 0x0A, from: scanned) {
                var end = nl
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                defer { start = nl + 1 }
                guard end - start <= maxMessageBytes else { return .oversized(.line, head: head(upTo: end)) }
                return .message(Array(buffer[start..<end]), .line)
            }
            scanned = available
            if available > maxMessageBytes {
                return skipOversizedLine(head: head(upTo: buffer.count))
            }
            if !fill() {
                guard available > 0, !stopped else { return nil }
                let line = Array(buffer[start..<buffer.count])
                start = buffer.count
                return .message(line, .line)
            }
        }
    }

    /// The first bytes of the message at `start`, at most up to `end`.
    private func head(upTo end: Int) -> [UInt8] { Array(buffer[start..<min(end, start + RequestIdPeek.headBytes)]) }

    private func skipOversizedLine(head: [UInt8]) -> IncomingMessage? {
        while true {
            if let nl = firstIndex(of: 0x0A, from: 0) {
                start = nl + 1
                return .oversized(.line, head: head)
            }
            start = buffer.count
            if !fill() { return stopped ? nil : .oversized(.line, head: head) }
        }
    }

    /// The header block is read line by line (LF, with or without a CR before it) up to its
    /// first empty line, and the body starts right after: a blank line inside a body, or a
    /// next message framed the other way, is never taken for the end of this header.
    private func nextFramed() -> IncomingMessage? {
        var headerLines: [String] = []
        var lineOffset = 0  // from `start`, which `fill()` may move when it compacts the buffer
        while true {
            guard let newline = firstIndex(of: 0x0A, from: lineOffset) else {
                if available > MessageReader.maxHeaderBytes {
                    start = buffer.count
                    return badHeader("header block over \(MessageReader.maxHeaderBytes) bytes")
                }
                if !fill() {
                    start = buffer.count
                    return stopped ? nil : .badHeader("end of input inside a Content-Length header")
                }
                continue
            }
            var lineEnd = newline
            if lineEnd > start + lineOffset && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = buffer[(start + lineOffset)..<lineEnd]
            lineOffset = newline + 1 - start
            if line.isEmpty { break }
            if lineOffset > MessageReader.maxHeaderBytes {
                start += lineOffset
                return badHeader("header block over \(MessageReader.maxHeaderBytes) bytes")
            }
            headerLines.append(String(decoding: line, as: UTF8.self))
        }
        start += lineOffset
        var lengths: [String] = []
        for line in headerLines {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                lengths.append(String(parts[1]).trimmingCharacters(in: " \t"))
            }
        }
        guard Set(lengths).count <= 1 else { return badHeader("conflicting Content-Length headers") }
        guard let text = lengths.first, text.isASCIIDigits else {
            return badHeader("Content-Length is missing or not a number")
        }
        // A length too large to hold is a body too large to take: where it ends is unknown.
        guard let length = Int(text) else { return badHeader("Content-Length \(text.prefix(40)) is over the \(maxMessageBytes)-byte message limit") }
        if length > maxMessageBytes {
            // The id is read from the body's first bytes; no more are waited for than the body has.
            let headBytes = min(RequestIdPeek.headBytes, length)
            while available < headBytes && fill() {}
            let head = head(upTo: start + min(headBytes, available))
            var remaining = length
            while remaining > 0 {
                if available == 0 && !fill() { break }
                let take = min(remaining, available)
                start += take
                remaining -= take
            }
            // Cut off by a shutdown, it is dropped as any message cut off is.
            return remaining > 0 && stopped ? nil : .oversized(.contentLength, head: head)
        }
        while available < length {
            if !fill() {
                start = buffer.count
                return stopped ? nil : .badHeader("end of input before \(length) body bytes")
            }
        }
        let body = Array(buffer[start..<start + length])
        start += length
        return .message(body, .contentLength)
    }
}

/// Writes each response whole and flushes it at once.
public enum ResponseWriter {
    public enum Outcome: Equatable {
        case written
        /// The reader is gone (the output is closed or failed).
        case closed
        /// Given up at the caller's word (`abandon`) while the output took nothing.
        case abandoned
    }

    /// How long one wait for the output to take more lasts before `abandon` is asked again.
    static let waitMilliseconds: Int32 = 200

    /// Writes `text` framed. The output is waited on in slices and written at most PIPE_BUF bytes
    /// at a time (what a pipe that polls writable takes without blocking), so a reader that
    /// takes nothing never holds the writer past `abandon`, asked while it waits with how long
    /// the output has taken nothing: true gives the rest of `text` up.
    public static func write(
        _ text: String, framing: Framing, fd: Int32 = 1, abandon: (_ stalledNanoseconds: UInt64) -> Bool = { _ in false }
    ) -> Outcome {
        var bytes = Array(text.utf8)
        switch framing {
        case .line: bytes.append(0x0A)
        case .contentLength: bytes = Array("Content-Length: \(bytes.count)\r\n\r\n".utf8) + bytes
        }
        var offset = 0
        var lastProgressNs = SystemClock.monotonicNanoseconds()
        while offset < bytes.count {
            var output = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&output, 1, ResponseWriter.waitMilliseconds)
            if ready < 0 && errno != EINTR { return .closed }
            if ready <= 0 {
                if abandon(SystemClock.monotonicNanoseconds() - lastProgressNs) { return .abandoned }
                continue
            }
            let end = min(bytes.count, offset + Int(PIPE_BUF))
            let n = bytes[offset..<end].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .closed
            }
            offset += n
            lastProgressNs = SystemClock.monotonicNanoseconds()
        }
        return .written
    }
}
