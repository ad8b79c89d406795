-- Reply scripts (话术, issue 21, seeds 003 and 004): templates with variables by section, kind and category,
-- every version kept. The default set below is written for this desk from the seeds' own examples.
CREATE TABLE reply_scripts (
    id          bigserial PRIMARY KEY,
    section     text NOT NULL CHECK (section IN ('greeting', 'soothing', 'asking', 'explaining', 'progress', 'closing')),
    kind        text,
    category    text,
    title       text NOT NULL,
    body        text NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    author      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reply_script_versions (
    script_id  bigint NOT NULL REFERENCES reply_scripts (id),
    version    integer NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    author     text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (script_id, version)
);

INSERT INTO reply_scripts (section, kind, category, title, body, author) VALUES
('greeting', NULL, NULL, '问候 Greeting',
 '您好,这里是客服中心,很高兴为您服务。{customer},您的问题已受理,工单号 {ticket_no}。', 'seed:004'),
('soothing', NULL, NULL, '安抚 Soothing',
 '非常理解您的心情,我们会尽快帮您解决问题。', 'seed:003'),
('soothing', 'complaint', NULL, '投诉致歉 Apology for a complaint',
 '{customer},非常抱歉给您带来不好的体验。您的投诉已上报客服主管,我们会在{due}给您处理结果。', 'seed:004'),
('asking', NULL, NULL, '询问细节 Asking for details',
 '为了更准确地帮您排查,能否提供一下订单编号?当时具体遇到了什么情况?方便的话可以发张截图吗?', 'seed:003'),
('explaining', NULL, 'system_fault', '说明原因 System fault explained',
 '您好,我们核查到{problem}的原因是{cause},目前已恢复正常,给您带来不便非常抱歉!', 'seed:003'),
('explaining', NULL, 'logistics', '物流说明 Logistics explained',
 '物流部已同步订单信息,{action}。工单 {ticket_no} 预计在{due}处理完毕。', 'seed:000'),
('progress', NULL, NULL, '进度同步 Progress update',
 '{customer}您好,您的工单 {ticket_no} 正在处理中:{progress}。预计在{due}给您答复。', 'seed:004'),
('closing', NULL, NULL, '结束确认 Closing',
 '您看这样的解决方案是否可以接受?感谢您的反馈,祝您生活愉快。', 'seed:004');

INSERT INTO reply_script_versions (script_id, version, title, body, author)
SELECT id, version, title, body, author FROM reply_scripts;
