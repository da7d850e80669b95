-- offsim provenance as Wireshark fields.
--
-- offsim writes each captured segment's provenance into its pcapng packet comment, e.g.
--   DROPPED: queue_full; conn=c1 sender=offload_target source=delegated_unsent buf=2
--   cause=rto tx=2 retransmission=yes stream_offset=14600 event=1234
-- This post-dissector parses that comment into filterable fields, so that
--   offsim.source == "delegated_unsent" && offsim.retransmission
-- works as a display filter and any field can be a column. The flags (offsim.retransmission,
-- offsim.dropped, offsim.corrupted, offsim.duplicated) are present only when set, like
-- Wireshark's own tcp.analysis.* flags: `!offsim.retransmission` selects first transmissions.
--
-- Use: wireshark -X lua_script:tools/wireshark/offsim.lua capture.pcapng
--      tshark -X lua_script:tools/wireshark/offsim.lua -r capture.pcapng -Y 'offsim.tx >= 2'
-- or copy the file into Wireshark's personal plugins folder (Help > About > Folders).
--
-- The vocabulary (sender, source, cause, drop reason names) is offsim's and is defined in
-- docs/results.md / reports/src/metrics.rs; this file does not restrict it, so new names pass
-- through unchanged.

local offsim = Proto("offsim", "offsim provenance")

local fields = {
    conn = ProtoField.string("offsim.conn", "Connection"),
    sender = ProtoField.string("offsim.sender", "Sender (host or offload_target)"),
    source = ProtoField.string("offsim.source", "Source buffer region"),
    buf = ProtoField.uint64("offsim.buf", "Send-chain buffer"),
    cause = ProtoField.string("offsim.cause", "Why it was sent"),
    tx = ProtoField.uint32("offsim.tx", "Transmission number of these bytes"),
    retransmission = ProtoField.bool("offsim.retransmission", "Retransmission"),
    stream_offset = ProtoField.uint64("offsim.stream_offset", "Stream offset of the first byte"),
    event = ProtoField.uint64("offsim.event", "Simulation event index"),
    dropped = ProtoField.bool("offsim.dropped", "Dropped by the link"),
    drop_reason = ProtoField.string("offsim.drop_reason", "Why the link dropped it"),
    corrupted = ProtoField.bool("offsim.corrupted", "Corrupted in transit"),
    duplicated = ProtoField.bool("offsim.duplicated", "Duplicated in transit"),
}
offsim.fields = {
    fields.conn, fields.sender, fields.source, fields.buf, fields.cause, fields.tx,
    fields.retransmission, fields.stream_offset, fields.event, fields.dropped,
    fields.drop_reason, fields.corrupted, fields.duplicated,
}

local comment_field = Field.new("frame.comment")

-- Keys whose value is a number, and keys whose value is yes/no.
local numeric = { buf = true, tx = true, stream_offset = true, event = true }
local yes_no = { retransmission = true }

local function add_kv(tree, key, value)
    local f = fields[key]
    if f == nil then
        return
    end
    if numeric[key] then
        local n = tonumber(value)
        if n ~= nil then
            if key == "tx" then
                tree:add(f, n)
            else
                tree:add(f, UInt64(n))
            end
        end
    elseif yes_no[key] then
        -- A flag is present only when set, like tcp.analysis.retransmission.
        if value == "yes" then
            tree:add(f, true)
        end
    else
        tree:add(f, value)
    end
end

function offsim.dissector(_, _, tree)
    local comments = { comment_field() }
    for _, c in ipairs(comments) do
        local text = tostring(c.value)
        -- Only offsim's provenance comments: they always carry sender= and source=.
        if text:find("sender=", 1, true) and text:find("source=", 1, true) then
            local t = tree:add(offsim, "offsim provenance")
            local dropped = text:match("^DROPPED: ([^;]+);")
            if dropped then
                t:add(fields.dropped, true)
                t:add(fields.drop_reason, dropped)
            end
            if text:find("CORRUPTED", 1, true) then
                t:add(fields.corrupted, true)
            end
            if text:find("DUPLICATED", 1, true) or text:find("DUPLICATE COPY", 1, true) then
                t:add(fields.duplicated, true)
            end
            for key, value in text:gmatch("([%a_]+)=([^%s;]+)") do
                add_kv(t, key, value)
            end
        end
    end
end

register_postdissector(offsim)
