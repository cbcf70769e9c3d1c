// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "MeetingLedger",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "meetingd", targets: ["meetingd"]),
        .executable(name: "meetctl", targets: ["meetctl"]),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "Core"),
        .target(name: "Postgres", dependencies: ["CLibPQ", "Core"]),
        .target(name: "Ledger", dependencies: ["Postgres", "Core"]),
        .target(name: "Scheduling", dependencies: ["Core"]),
        .target(name: "Meetings", dependencies: ["Core", "Ledger", "Scheduling"]),
        .target(name: "RPC", dependencies: ["Core"]),
        .target(name: "Service", dependencies: ["Core", "Postgres", "Ledger", "Scheduling", "Meetings", "RPC"]),
        .executableTarget(name: "meetingd", dependencies: ["Service", "RPC", "Postgres", "Core"]),
        .executableTarget(name: "meetctl", dependencies: ["Core", "Scheduling"]),
        .testTarget(name: "CoreTests", dependencies: ["Core"]),
        .testTarget(name: "RPCTests", dependencies: ["RPC", "Core"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "Core"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Postgres", "Core"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Core"], exclude: ["Reference"]),
        .testTarget(name: "MeetingsTests", dependencies: ["Meetings", "Core"]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["Core"],
            exclude: ["Support/smtp_sink.py", "Support/zone_instants.py", "Support/ics_fields.py"]),
    ]
)
