import Community
import Core

/// Community settings read from their stored document once per distinct document, not once per
/// request: parsing and validating them was a tenth of meetingd's work on a meeting request
/// (perf). A document equal to one read before gives the settings read then; the last
/// `capacity` distinct documents are kept. A document that does not validate is never kept, so
/// it fails the same way every time.
public enum SettingsMemo {
    static let capacity = 16
    private static let recent = Locked<[(document: JSON, settings: CommunitySettings)]>([])

    public static func settings(stored document: JSON) throws -> CommunitySettings {
        if let known = recent.withLock({ list in list.first { $0.document == document }?.settings }) { return known }
        let settings = try CommunitySettings(stored: document)
        recent.withLock { list in
            list.removeAll { $0.document == document }
            list.append((document, settings))
            if list.count > capacity { list.removeFirst(list.count - capacity) }
        }
        return settings
    }
}
