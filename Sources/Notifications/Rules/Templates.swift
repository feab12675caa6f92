/// The SMS templates. Texts are Chinese and open with the region's signature (【签名】), which
/// carriers in mainland China require on every application SMS. A template lists the
/// parameters it needs; rendering refuses missing, unknown or unsafe ones (see TemplateRenderer).
public struct SMSTemplate: Sendable, Equatable {
    public let name: String
    /// `{sig}` is the signature; every other `{name}` is a parameter.
    public let text: String
    public let parameters: [String]
}

public enum TemplateCatalog {
    public static let all: [String: SMSTemplate] = Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })

    static let list: [SMSTemplate] = [
        SMSTemplate(name: "order_new_lead",
                    text: "【{sig}】新订单{code}：{summary}，请5分钟内回复1确认。",
                    parameters: ["code", "summary"]),
        SMSTemplate(name: "order_forwarded",
                    text: "【{sig}】订单{code}已转给您：{summary}，请5分钟内回复1确认。",
                    parameters: ["code", "summary"]),
        SMSTemplate(name: "sla_escalation",
                    text: "【{sig}】超时提醒：订单{code}的{stage}已超时{minutes}分钟（负责人{assignee}），请立即跟进。",
                    parameters: ["code", "stage", "minutes", "assignee"]),
        // After an sla_escalation whose step turned out done in time (an SMS reply held up
        // while orders was down): the superior need not chase it any more.
        SMSTemplate(name: "sla_escalation_withdrawn",
                    text: "【{sig}】订单{code}的{stage}已按时完成，请忽略此前的超时提醒。",
                    parameters: ["code", "stage"]),
        SMSTemplate(name: "proposal_submitted",
                    text: "【{sig}】{proposer}提交了提案“{title}”，请在30分钟内决定执行或终止。",
                    parameters: ["proposer", "title"]),
        SMSTemplate(name: "proposal_decision",
                    text: "【{sig}】提案“{title}”已{decision}，意见：{comment}",
                    parameters: ["title", "decision", "comment"]),
        SMSTemplate(name: "followup_reminder",
                    text: "【{sig}】跟进提醒：客户{customer}，{due}前跟进。{note}",
                    parameters: ["customer", "due", "note"]),
        SMSTemplate(name: "team_notice",
                    text: "【{sig}】团队公告：{title}。请登录系统查看。",
                    parameters: ["title"]),
        SMSTemplate(name: "customer_order_confirmed",
                    text: "【{sig}】您的订单{code}已确认，我们将尽快为您配送。",
                    parameters: ["code"]),
        // Answers to inbound replies.
        SMSTemplate(name: "reply_not_understood",
                    text: "【{sig}】未能识别您的回复。确认订单请回复1，或回复订单编号。",
                    parameters: []),
        SMSTemplate(name: "reply_ambiguous",
                    text: "【{sig}】您有{count}个待确认订单，请回复订单编号确认，例如{code}。",
                    parameters: ["count", "code"]),
        SMSTemplate(name: "reply_nothing_pending",
                    text: "【{sig}】您当前没有待确认的订单。",
                    parameters: []),
        // settlements
        // To the payee once the regional manager signed its weekly statement (paying
        // part-timers quickly and exactly is what keeps them selling).
        SMSTemplate(name: "reward_approved",
                    text: "【{sig}】您{week}的推荐奖励{amount}已审批，将由经销商于周一支付。",
                    parameters: ["week", "amount"]),
        // To the payee once the dealer recorded the payment.
        SMSTemplate(name: "reward_paid",
                    text: "【{sig}】您{week}的推荐奖励{amount}已支付，付款凭证{reference}。",
                    parameters: ["week", "amount", "reference"]),
        // customers
        // To a customer's owner when another salesperson tried to register it (refused).
        SMSTemplate(name: "customer_duplicate_attempt",
                    text: "【{sig}】有同事尝试录入您的客户{customer}（{phone}），系统已按先录入者归属保留给您。",
                    parameters: ["customer", "phone"]),
        // To a team member a colleague's follow-up asks to follow up too (a task on their list).
        SMSTemplate(name: "followup_assigned",
                    text: "【{sig}】{asker}请您协助跟进客户{customer}：{note}。请登录系统查看任务。",
                    parameters: ["asker", "customer", "note"]),
        // To the team admin: a new customer looks like one the team already has.
        SMSTemplate(name: "customer_near_duplicate",
                    text: "【{sig}】客户{customer}疑似与已有客户重复，请在客户管理中审核合并。",
                    parameters: ["customer"]),
        // proposals
        // proposal_submitted names 30 minutes; a team with another window gets its deadline.
        SMSTemplate(name: "proposal_submitted_due",
                    text: "【{sig}】{proposer}提交了提案“{title}”，请在{due}前决定执行或终止。",
                    parameters: ["proposer", "title", "due"]),
        SMSTemplate(name: "proposal_escalated",
                    text: "【{sig}】提案“{title}”（{proposer}提交）的决定已超时{minutes}分钟（原审批人{superior}），请您在{due}前决定执行或终止。",
                    parameters: ["title", "proposer", "superior", "minutes", "due"]),
        SMSTemplate(name: "proposal_checkpoint_reminder",
                    text: "【{sig}】提案“{title}”的检查点即将到期，请在{due}前提交执行结果。",
                    parameters: ["title", "due"]),
        SMSTemplate(name: "proposal_review_due",
                    text: "【{sig}】提案“{title}”已结束，请在{due}前提交{what}。",
                    parameters: ["title", "what", "due"]),
        SMSTemplate(name: "notice_answered",
                    text: "【{sig}】您在公告“{title}”下的提问已答复：{answer}",
                    parameters: ["title", "answer"]),
        // orders (issue 14)
        SMSTemplate(name: "order_visit_due",
                    text: "【{sig}】订单{code}已送达，请在{hours}小时内完成回访并记录实际销量。",
                    parameters: ["code", "hours"]),
        SMSTemplate(name: "order_prompt_undelivered",
                    text: "【{sig}】订单{code}的{stage}提醒未能送达{assignee}，请您立即跟进。",
                    parameters: ["code", "stage", "assignee"]),
        SMSTemplate(name: "routing_account_disabled",
                    text: "【{sig}】{name}（{account}）已停用，不再接收区县{district}的订单，请更新订单路由。",
                    parameters: ["name", "account", "district"]),
        // campaigns (issue 17): to a group-buy campaign's participants (customer category).
        SMSTemplate(name: "campaign_succeeded",
                    text: "【{sig}】您参加的团购“{title}”已成团。提货码{code}，请到{point}提货，营业时间{hours}。",
                    parameters: ["title", "code", "point", "hours"]),
        SMSTemplate(name: "campaign_failed",
                    text: "【{sig}】很抱歉，团购“{title}”未达到成团数量，您的订单已取消，已付{amount}将原路退回。",
                    parameters: ["title", "amount"]),
    ]
}

/// Each region signs its own SMS (and pays for them). Regions not listed sign as headquarters.
public enum RegionSignatures {
    public static let headquarters = "XSC"
    static let table: [String: String] = [
        "hq": "XSC",
        "cq": "XSC重庆",
        "sc": "XSC四川",
        "gz": "XSC贵州",
        "yn": "XSC云南",
    ]

    public static func signature(for regionCode: String) -> String {
        table[regionCode] ?? headquarters
    }
}
