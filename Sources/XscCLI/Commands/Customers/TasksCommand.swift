import ArgumentParser
import Messages
import ServiceAPI

extension CustomersCommand {
    /// Follow-ups a colleague asked you to make (an SMS told you), and marking them done.
    struct Tasks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The follow-ups colleagues asked you to make (--done TASK marks one done).")

        @OptionGroup var options: PeopleOptions
        @Flag(name: .customLong("include-done"), help: "Done tasks too.") var includeDone = false
        @Option(help: "Mark this task done (its id).") var done: String?

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            let client = Xsc_Customers_V1_CustomerServiceClient(channel: caller.channel)
            if let done {
                var request = Xsc_Customers_V1_CompleteTaskRequest()
                request.taskId = done
                let task = try await caller.run(notFound: "check the task id; `xsc customers tasks` lists yours") {
                    try await client.completeTask(request, options: caller.options(write: true))
                }.task ?? Xsc_Customers_V1_Task()
                caller.emit(Self.json(task), text: "task \(task.id) done (\(task.customerName))")
                return
            }
            var request = Xsc_Customers_V1_ListMyTasksRequest()
            request.includeDone = includeDone
            let tasks = try await caller.run { try await client.listMyTasks(request, options: caller.options()) }.tasks
            var table = Table("customer", "asked by", "state", "since", "customer id", "task id")
            for task in tasks {
                table.add(task.customerName, task.askedByAccountId, task.state, caller.time.show(task.createdAtMs), task.customerId, task.id)
            }
            caller.emit(.object([("tasks", .array(tasks.map(Self.json)))]),
                        text: tasks.isEmpty ? "no follow-ups asked of you" : table.rendered())
        }

        static func json(_ task: Xsc_Customers_V1_Task) -> JSONValue {
            .object([
                ("id", .string(task.id)), ("follow_up_id", .string(task.followUpId)), ("customer_id", .string(task.customerId)),
                ("customer_name", .string(task.customerName)), ("assignee_account_id", .string(task.assigneeAccountId)),
                ("asked_by_account_id", .string(task.askedByAccountId)), ("state", .string(task.state)),
                ("created_at_ms", .int(task.createdAtMs)), ("done_at_ms", .int(task.doneAtMs)),
            ])
        }
    }
}
