// swift-tools-version:6.0
import PackageDescription

// Pure modules (no database): Core, Ledger, Scheduling, Community, Meetings (the lifecycle and
// the booking rules), Rendering (notification texts and invitations), RPC (JSON-RPC).
// The store layer alone speaks SQL: Postgres (the libpq connection) and Store (locks, context
// reads, the apply step). Pipeline runs a request (actor, roles, idempotency, transaction);
// UseCases are the commands (lock → read → decide → apply); API maps params to them, one file
// per RPC namespace.
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
        .target(name: "Ledger", dependencies: ["Core"]),
        .target(name: "Scheduling", dependencies: ["Core"]),
        .target(name: "Community", dependencies: ["Core", "Scheduling"]),
        .target(name: "Meetings", dependencies: ["Core", "Ledger", "Scheduling", "Community"]),
        .target(name: "Rendering", dependencies: ["Core", "Scheduling", "Community", "Meetings"]),
        // People (profiles, conversations) and Catalog (certifications, the CSV sheets and imports).
        .target(name: "People", dependencies: ["Core", "Community", "Meetings"]),
        .target(name: "Catalog", dependencies: ["Core", "Ledger", "Scheduling", "Community", "Meetings"]),
        .target(name: "RPC", dependencies: ["Core"]),
        .target(name: "Store", dependencies: ["Core", "Postgres", "Ledger", "Scheduling", "Community", "Meetings", "Rendering", "People", "Catalog"]),
        .target(name: "Pipeline", dependencies: ["Core", "Postgres", "Community", "RPC", "Store"]),
        .target(
            name: "UseCases",
            dependencies: ["Core", "Postgres", "Ledger", "Scheduling", "Community", "Meetings", "Rendering", "RPC", "Store", "Pipeline", "People", "Catalog"]),
        .target(
            name: "API",
            dependencies: [
                "Core", "Postgres", "Ledger", "Scheduling", "Community", "Meetings", "Rendering", "RPC", "Store", "Pipeline", "UseCases",
                "People", "Catalog",
            ]),
        .executableTarget(name: "meetingd", dependencies: ["API", "Pipeline", "RPC", "Postgres", "Store", "Core"]),
        .executableTarget(name: "meetctl", dependencies: ["Core", "Scheduling", "Catalog"]),
        .testTarget(name: "CoreTests", dependencies: ["Core"]),
        .testTarget(name: "RPCTests", dependencies: ["RPC", "Core"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "Core"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Core"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Meetings", "Community", "Scheduling", "Ledger", "Postgres", "Core"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Core"], exclude: ["Reference"]),
        .testTarget(name: "CommunityTests", dependencies: ["Community", "Core"]),
        .testTarget(name: "MeetingsTests", dependencies: ["Meetings", "Community", "Ledger", "Scheduling", "Core"]),
        .testTarget(name: "RenderingTests", dependencies: ["Rendering", "Meetings", "Community", "Core"]),
        .testTarget(name: "PeopleTests", dependencies: ["People", "Meetings", "Community", "Core"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "Meetings", "Community", "Scheduling", "Core"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "RPC", "Core"]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["Core"],
            exclude: ["Support/smtp_sink.py", "Support/zone_instants.py", "Support/ics_fields.py"]),
    ]
)
