extension StringProtocol {
    /// Plain decimal digits, 0 to 9, and at least one: what a number read from input must be
    /// (`Int64(_:)` alone takes a sign, and `Character.isNumber` takes every script's digits).
    public var isASCIIDigits: Bool { !isEmpty && utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
}
