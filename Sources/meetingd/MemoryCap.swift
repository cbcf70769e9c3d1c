#if canImport(Glibc)
    import Glibc
#endif

/// The most memory one `meetingd` may take, so a request the other bounds did not foresee ends
/// this process instead of starving the machine.
///
/// It is `RLIMIT_DATA`: the heap, anonymous memory and thread stacks — what the Swift runtime
/// allocates — and not address space merely reserved (malloc's arenas) or files mapped (the
/// libraries), which would make a cap on address space fail on machines with many cores. Past
/// it an allocation fails and the Swift runtime stops the process ("failed to allocate", SIGABRT);
/// a front end sees the pipe close and starts another, and the database is left consistent as
/// after any crash.
enum MemoryCap {
    static let defaultMegabytes = 1024
    /// Below this a call the other bounds allow may not fit, and a read would end the process
    /// with every call in flight: a search over 3,001 certified experts peaked near 100 MB
    /// resident and a batch of 16 of them near 175 MB (4 batch workers), while 40 year-long
    /// searches of 2,000 slots, their answer bound lifted, ran within 256 MiB.
    static let minimumMegabytes = 256
    /// 16 TiB, more than any machine this serves on: a larger figure is a typing mistake (and
    /// from 2^44 MiB on, the cap in bytes wrapped round to a small one).
    static let maximumMegabytes = 1 << 24

    /// Sets the cap; 0 leaves the system's limit as it is. Returns why it could not be set.
    static func apply(megabytes: Int) -> String? {
        guard megabytes > 0 else { return nil }
        let bytes = rlim_t(megabytes) << 20
        var current = rlimit()
        guard getrlimit(RLIMIT_DATA_ID, &current) == 0 else { return "getrlimit failed (errno \(errno))" }
        // An unprivileged process cannot raise its hard limit: keep the lower of the two.
        var wanted = rlimit(rlim_cur: min(bytes, current.rlim_max), rlim_max: current.rlim_max)
        guard setrlimit(RLIMIT_DATA_ID, &wanted) == 0 else { return "setrlimit failed (errno \(errno))" }
        return nil
    }

    #if os(Linux)
        private static let RLIMIT_DATA_ID = __rlimit_resource_t(RLIMIT_DATA.rawValue)
    #else
        private static let RLIMIT_DATA_ID = RLIMIT_DATA
    #endif
}
