/// A number with its noun as a sentence says it: "1 day", "2 days", "0 minutes".
public enum Counted {
    public static func words(_ count: Int64, _ noun: String, plural: String? = nil) -> String {
        "\(count) " + (count == 1 ? noun : plural ?? noun + "s")
    }
}
