/// This release, as `meetingd --version`, `meetctl --version`, `rpc.discover` and `system.ping`
/// tell it: in Core, so that meetctl, which links no database code, says the same as meetingd.
public enum Release {
    public static let version = "0.2.0"
    /// The newest migration this release's SQL is written for (`NNNN` of sql/migrations' last
    /// file): a migrations folder with a newer one is another release's, and is refused.
    public static let schemaVersion = 169

    /// What `--version` prints: the program, its release and the schema version it expects of
    /// a database (the one `system.ping` answers while the database is on it).
    public static func versionLine(_ program: String) -> String {
        "\(program) \(version) (schema version \(schemaVersion))\n"
    }
}
