/// How many meetings (soonest first) or series (by id) an answer that tells of them in passing
/// lists (a block's meetings within it, a retired service's waiting requests and series going
/// on, a meeting's conflicts):
/// each such answer also says how many there are in all, so a list cut short says so.
public enum Listed {
    public static let atMost: Int64 = 100
}
