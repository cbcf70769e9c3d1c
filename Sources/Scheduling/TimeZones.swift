import Foundation

/// IANA time zones through the system's tz database.
public enum TimeZones {
    public static func isKnown(_ identifier: String) -> Bool {
        identifier.count <= 64 && TimeZone(identifier: identifier) != nil && identifier != ""
    }
}
