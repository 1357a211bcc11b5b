-- Wireshark dissector for muxado (SPEC.md) over TCP.
--
-- Install: copy into Wireshark's personal plugins folder (Help > About > Folders), or run
-- `tshark -X lua_script:tools/wireshark/muxado.lua ...`. See tools/wireshark/README.md.
--
-- Names follow SPEC.md sections 3, 4 and 9; every violation it marks cites the requirement id.
-- Connection errors (SPEC [FRAME-8]) are expert errors whose text is the reference decoder's
-- message (reference/src/frame/error.rs), so tools/wireshark/check.sh can compare them.

local muxado = Proto("muxado", "muxado stream multiplexing")

local HEADER_LEN = 8                -- [FRAME-1]
local DEBUG_LIMIT = 1048576         -- [LIMIT-4]

local type_names = {
    [0x0] = "RST", [0x1] = "DATA", [0x2] = "WNDINC", [0x3] = "GOAWAY",
}
for t = 0x4, 0xF do type_names[t] = "UNKNOWN" end

-- SPEC section 9.
local error_names = {
    [0x0] = "NO_ERROR",
    [0x1] = "PROTOCOL_ERROR",
    [0x2] = "INTERNAL_ERROR",
    [0x3] = "FLOW_CONTROL_ERROR",
    [0x4] = "STREAM_CLOSED",
    [0x5] = "STREAM_REFUSED",
    [0x6] = "STREAM_CANCELLED",
    [0x7] = "STREAM_RESET",
    [0x8] = "FRAME_SIZE_ERROR",
    [0x9] = "ACCEPT_QUEUE_FULL",
    [0xA] = "ENHANCE_YOUR_CALM",
    [0xB] = "REMOTE_GONE_AWAY",
    [0xC] = "STREAMS_EXHAUSTED",
    [0xD] = "WRITE_TIMEOUT",
    [0xE] = "SESSION_CLOSED",
    [0xF] = "PEER_EOF",
    [0xFF] = "UNKNOWN",
}

local f = {
    length = ProtoField.uint24("muxado.length", "Length", base.DEC),
    type = ProtoField.uint8("muxado.type", "Type", base.HEX, type_names, 0xF0),
    type_name = ProtoField.string("muxado.type_name", "Type name"),
    flags = ProtoField.uint8("muxado.flags", "Flags", base.HEX, nil, 0x0F),
    flag_fin = ProtoField.bool("muxado.flags.fin", "FIN", 8, nil, 0x01),
    flag_syn = ProtoField.bool("muxado.flags.syn", "SYN", 8, nil, 0x02),
    flag_undefined = ProtoField.uint8("muxado.flags.undefined", "Undefined flag bits", base.HEX,
        nil, 0x0F),
    reserved = ProtoField.bool("muxado.reserved", "Reserved", 32, nil, 0x80000000),
    stream_id = ProtoField.uint32("muxado.stream_id", "Stream Id", base.DEC, nil, 0x7FFFFFFF),
    error_code = ProtoField.uint32("muxado.error_code", "Error Code", base.HEX, error_names),
    error_name = ProtoField.string("muxado.error_name", "Error name"),
    increment = ProtoField.uint32("muxado.wndinc.increment", "Window Increment", base.DEC, nil,
        0x7FFFFFFF),
    wndinc_reserved = ProtoField.bool("muxado.wndinc.reserved", "Increment reserved bit", 32, nil,
        0x80000000),
    last_stream_id = ProtoField.uint32("muxado.goaway.last_stream_id", "Last Stream Id", base.DEC,
        nil, 0x7FFFFFFF),
    goaway_reserved = ProtoField.bool("muxado.goaway.reserved", "Last stream id reserved bit", 32,
        nil, 0x80000000),
    debug_data = ProtoField.bytes("muxado.goaway.debug_data", "Debug Data"),
    debug = ProtoField.string("muxado.goaway.debug", "Debug text"),
    payload = ProtoField.bytes("muxado.payload", "Payload"),
    summary = ProtoField.string("muxado.summary", "Summary"),
}
muxado.fields = {
    f.length, f.type, f.type_name, f.flags, f.flag_fin, f.flag_syn, f.flag_undefined,
    f.reserved, f.stream_id, f.error_code, f.error_name, f.increment, f.wndinc_reserved,
    f.last_stream_id, f.goaway_reserved, f.debug_data, f.debug, f.payload, f.summary,
}

local e = {
    -- A connection error (SPEC [FRAME-8]): the receiver sends GOAWAY and closes.
    violation = ProtoExpert.new("muxado.violation", "Connection error",
        expert.group.MALFORMED, expert.severity.ERROR),
    -- A sender's MUST NOT that the receiver ignores (reserved bits, unknown types, codes).
    sender = ProtoExpert.new("muxado.sender_rule", "Sender requirement not met",
        expert.group.PROTOCOL, expert.severity.WARN),
    -- Allowed on receipt but worth seeing (undefined flags, SHOULD NOTs).
    note = ProtoExpert.new("muxado.note", "Note", expert.group.PROTOCOL, expert.severity.NOTE),
}
muxado.experts = { e.violation, e.sender, e.note }

muxado.prefs.tcp_port = Pref.uint("TCP port", 0,
    "TCP port to decode as muxado (0: none; the heuristic still finds sessions)")
muxado.prefs.heuristic = Pref.bool("Find sessions on any port", true,
    "Try the heuristic on TCP connections of other ports")

-- "0x3", as the reference prints ids, flags and codes.
local function hex(n)
    return string.format("0x%x", n)
end

local function code_text(code)
    local name = error_names[code]
    if name then
        return string.format("%s (0x%x)", name, code)
    end
    return hex(code)
end

-- The first violation the header shows, in the order of SPEC [FRAME-7]: length, then stream id.
-- Returns the message of reference/src/frame/error.rs, or nil.
local function header_violation(ftype, length, sid)
    if ftype == 0x0 then
        if length ~= 4 then return "[RST-1] RST frame length must be 4, got " .. length end
        if sid == 0 then return "[RST-2] RST frame on stream 0" end
    elseif ftype == 0x1 then
        if sid == 0 then return "[DATA-1] DATA frame on stream 0" end
    elseif ftype == 0x2 then
        if length ~= 4 then return "[WNDINC-1] WNDINC frame length must be 4, got " .. length end
        if sid == 0 then return "[WNDINC-2] WNDINC frame on stream 0" end
    elseif ftype == 0x3 then
        if length < 8 then
            return "[GOAWAY-1] GOAWAY frame length must be at least 8, got " .. length
        end
        if sid ~= 0 then
            return "[GOAWAY-2] GOAWAY frame on stream " .. hex(sid) .. ", must be 0"
        end
    end
    return nil
end

-- Local-only codes in a frame (SPEC [ERR-2]).
local function check_code(tree, item, code)
    if code >= 0xB and code <= 0xE then
        item:add_proto_expert_info(e.sender, "[ERR-2] local-only code " .. code_text(code)
            .. " must not be sent")
    elseif code == 0xF or code == 0xFF then
        item:add_proto_expert_info(e.note, "[ERR-2] " .. code_text(code)
            .. " should not be sent (Go does when its transport failed)")
    end
end

-- Debug data as the reference's frame log shows it (Rust's `{:?}` of the lossy UTF-8 text):
-- quotes, backslashes and control characters escaped, invalid UTF-8 as U+FFFD.
local function quoted(raw)
    local out, i, n = {}, 1, #raw
    local escapes = { [0] = "\\0", [9] = "\\t", [10] = "\\n", [13] = "\\r",
        [34] = "\\\"", [39] = "\\'", [92] = "\\\\" }
    while i <= n do
        local b = raw:byte(i)
        local len = b < 0x80 and 1 or (b >= 0xC2 and b <= 0xDF and 2)
            or (b >= 0xE0 and b <= 0xEF and 3) or (b >= 0xF0 and b <= 0xF4 and 4) or 0
        local ok = len > 0 and i + len - 1 <= n
        for k = 1, len - 1 do
            local c = ok and raw:byte(i + k)
            if not c or c < 0x80 or c > 0xBF then ok = false end
        end
        if ok and len == 3 then
            local c = raw:byte(i + 1)
            if (b == 0xE0 and c < 0xA0) or (b == 0xED and c > 0x9F) then ok = false end
        elseif ok and len == 4 then
            local c = raw:byte(i + 1)
            if (b == 0xF0 and c < 0x90) or (b == 0xF4 and c > 0x8F) then ok = false end
        end
        if not ok then
            out[#out + 1] = "\239\191\189"
            -- Skip the longest prefix of a valid sequence, as from_utf8_lossy does.
            local skip = 1
            if len > 1 then
                for k = 1, len - 1 do
                    local c = raw:byte(i + k)
                    if not c or c < 0x80 or c > 0xBF then break end
                    if k == 1 and ((b == 0xE0 and c < 0xA0) or (b == 0xED and c > 0x9F)
                        or (b == 0xF0 and c < 0x90) or (b == 0xF4 and c > 0x8F)) then break end
                    skip = k + 1
                end
            end
            i = i + skip
        elseif len == 1 then
            if escapes[b] and b ~= 39 then
                out[#out + 1] = escapes[b]
            elseif b < 0x20 or b == 0x7F then
                out[#out + 1] = string.format("\\u{%x}", b)
            else
                out[#out + 1] = string.char(b)
            end
            i = i + 1
        else
            out[#out + 1] = raw:sub(i, i + len - 1)
            i = i + len
        end
    end
    return '"' .. table.concat(out) .. '"'
end

local first_in_packet = false

-- One whole frame: tvb holds exactly its header and body.
local function dissect_frame(tvb, pinfo, tree)
    local length = tvb(0, 3):uint()
    local tf = tvb(3, 1):uint()
    local ftype = bit32.rshift(tf, 4)
    local flags = bit32.band(tf, 0x0F)
    local word = tvb(4, 4):uint()
    local sid = bit32.band(word, 0x7FFFFFFF)
    local name = type_names[ftype]
    local shown = ftype <= 3 and name or string.format("UNKNOWN(0x%x)", ftype)

    -- [FRAME-9]: flags not defined for the type are sent as zero and ignored on receipt. The
    -- summary shows the flags as a receiver takes them, as the project's frame log does; the
    -- tree shows the bits as sent.
    local defined = ftype == 0x1 and bit32.band(flags, 0x3) or (ftype <= 3 and 0 or flags)
    local undefined = flags - defined
    if ftype >= 0x4 then undefined = 0 end
    local summary = string.format("%s stream_id=%s length=%d flags=%s", shown, hex(sid), length,
        hex(defined))
    if ftype == 0x1 then
        if bit32.band(flags, 0x2) ~= 0 then summary = summary .. " SYN" end
        if bit32.band(flags, 0x1) ~= 0 then summary = summary .. " FIN" end
    end

    local t = tree:add(muxado, tvb(), "muxado")
    t:add(f.length, tvb(0, 3))
    local type_item = t:add(f.type, tvb(3, 1))
    t:add(f.type_name, tvb(3, 1), name):set_generated()
    local flags_item = t:add(f.flags, tvb(3, 1))
    if ftype == 0x1 then
        flags_item:add(f.flag_fin, tvb(3, 1))
        flags_item:add(f.flag_syn, tvb(3, 1))
    end
    if undefined ~= 0 then
        flags_item:add(f.flag_undefined, tvb(3, 1), undefined)
        flags_item:add_proto_expert_info(e.note, "[FRAME-9] undefined flag bits "
            .. hex(undefined) .. " (must be sent as zero, ignored on receipt)")
    end
    local reserved_item = t:add(f.reserved, tvb(4, 4))
    if bit32.band(word, 0x80000000) ~= 0 then
        reserved_item:add_proto_expert_info(e.sender, "[FRAME-4] reserved bit set (a receiver "
            .. "ignores it, [FRAME-5]; Go does not, INTEROP-7)")
    end
    local sid_item = t:add(f.stream_id, tvb(4, 4))

    -- [FRAME-7]: length first, then stream id, then the body.
    local violation = header_violation(ftype, length, sid)
    if violation then
        local at = (violation:find("length") and violation:find("must be")) and t or sid_item
        at:add_proto_expert_info(e.violation, violation)
    end

    local body = length > 0 and tvb(HEADER_LEN, length) or nil
    if ftype == 0x0 and length >= 4 then
        local code = body(0, 4):uint()
        local item = t:add(f.error_code, body(0, 4))
        t:add(f.error_name, body(0, 4), error_names[code] or "unknown"):set_generated()
        check_code(t, item, code)
        summary = summary .. " error_code=" .. code_text(code)
    elseif ftype == 0x1 then
        if body then t:add(f.payload, body) end
    elseif ftype == 0x2 and length >= 4 then
        local w = body(0, 4):uint()
        local inc = bit32.band(w, 0x7FFFFFFF)
        local r = t:add(f.wndinc_reserved, body(0, 4))
        if bit32.band(w, 0x80000000) ~= 0 then
            r:add_proto_expert_info(e.sender, "[WNDINC-3] reserved bit of the increment set "
                .. "(ignored on receipt)")
        end
        local item = t:add(f.increment, body(0, 4))
        if inc == 0 and not violation then
            violation = "[WNDINC-4] WNDINC increment of zero on stream " .. hex(sid)
            item:add_proto_expert_info(e.violation, violation)
        end
        summary = summary .. " increment=" .. inc
    elseif ftype == 0x3 and length >= 8 then
        local w = body(0, 4):uint()
        local r = t:add(f.goaway_reserved, body(0, 4))
        if bit32.band(w, 0x80000000) ~= 0 then
            r:add_proto_expert_info(e.sender, "[GOAWAY-3] reserved bit of the last stream id set "
                .. "(ignored on receipt)")
        end
        t:add(f.last_stream_id, body(0, 4))
        local code = body(4, 4):uint()
        local item = t:add(f.error_code, body(4, 4))
        t:add(f.error_name, body(4, 4), error_names[code] or "unknown"):set_generated()
        check_code(t, item, code)
        local raw = ""
        if length > 8 then
            local debug = body(8, length - 8)
            local di = t:add(f.debug_data, debug)
            raw = debug:raw()
            t:add_packet_field(f.debug, debug, ENC_UTF_8)
            -- U+FFFD in the lossy text but not in the data: some bytes were not UTF-8.
            local fffd = "\239\191\189"
            if quoted(raw):find(fffd, 1, true) and not raw:find(fffd, 1, true) then
                di:add_proto_expert_info(e.note, "[GOAWAY-4] debug data is not UTF-8 "
                    .. "(a receiver must not require it)")
            end
            if length - 8 > DEBUG_LIMIT then
                di:add_proto_expert_info(e.sender, "[LIMIT-4] debug data longer than 1048576 "
                    .. "bytes (INTEROP-2: Go parses the rest as frames)")
            end
        end
        summary = summary .. " last_stream_id=" .. hex(bit32.band(w, 0x7FFFFFFF))
            .. " error_code=" .. code_text(code) .. " debug=" .. quoted(raw)
    elseif ftype >= 0x4 then
        -- [FRAME-11] a receiver skips it; [FRAME-12] a sender must not send it.
        type_item:add_proto_expert_info(e.sender, "[FRAME-12] frame of unknown type "
            .. hex(ftype) .. " (a receiver skips its body, [FRAME-11])")
        if body then t:add(f.payload, body) end
    end

    if violation then
        summary = summary .. " VIOLATION " .. violation:match("^%[[^%]]+%]")
    end
    t:add(f.summary, tvb(0, HEADER_LEN), summary):set_generated()
    t:append_text(": " .. summary)

    pinfo.cols.protocol = "muxado"
    if first_in_packet then
        pinfo.cols.info = summary
        first_in_packet = false
    else
        pinfo.cols.info:append(" | " .. summary)
    end
    return tvb:len()
end

local function frame_len(tvb, pinfo, offset)
    return HEADER_LEN + tvb(offset, 3):uint()
end

local function dissect(tvb, pinfo, tree)
    first_in_packet = true
    dissect_tcp_pdus(tvb, tree, HEADER_LEN, frame_len, dissect_frame, true)
    return tvb:len()
end
muxado.dissector = dissect

-- Whether the 8 bytes at offset look like a frame a conforming peer sends: a known type with a
-- length and stream id allowed for it, no undefined flags, no reserved bit, a stream id below
-- 2^24 (byte 4 zero) and, for WNDINC and GOAWAY, a body that fits the rules where present.
local function plausible(tvb, offset)
    if tvb:len() < offset + HEADER_LEN then return false end
    local length = tvb(offset, 3):uint()
    local tf = tvb(offset + 3, 1):uint()
    local ftype = bit32.rshift(tf, 4)
    local flags = bit32.band(tf, 0x0F)
    if ftype > 3 then return false end
    if tvb(offset + 4, 1):uint() ~= 0 then return false end
    local sid = tvb(offset + 4, 4):uint()
    if header_violation(ftype, length, sid) then return false end
    if ftype == 0x1 then
        if bit32.band(flags, 0xC) ~= 0 then return false end
    elseif flags ~= 0 then
        return false
    end
    local body = offset + HEADER_LEN
    if ftype == 0x2 and tvb:len() >= body + 4 then
        local w = tvb(body, 4):uint()
        if w == 0 or w >= 0x80000000 then return false end
    elseif ftype == 0x3 then
        if length > 8 + DEBUG_LIMIT then return false end
        if tvb:len() >= body + 4 and tvb(body, 1):uint() >= 0x80 then return false end
    end
    return true
end

local function heuristic(tvb, pinfo, tree)
    if not muxado.prefs.heuristic then return false end
    if not plausible(tvb, 0) then return false end
    -- A segment holding the first frame and a whole next header: that header must be
    -- plausible too.
    local next_frame = HEADER_LEN + tvb(0, 3):uint()
    if tvb:len() >= next_frame + HEADER_LEN and not plausible(tvb, next_frame) then
        return false
    end
    pinfo.conversation = muxado
    -- The Lua function itself: calling through the Dissector handle (muxado.dissector) would
    -- take away TCP's permission to reassemble (can_desegment) for this first segment.
    dissect(tvb, pinfo, tree)
    return true
end

local tcp_port_table = DissectorTable.get("tcp.port")
tcp_port_table:add_for_decode_as(muxado)
local current_port = 0

function muxado.prefs_changed()
    if current_port ~= muxado.prefs.tcp_port then
        if current_port ~= 0 then tcp_port_table:remove(current_port, muxado) end
        current_port = muxado.prefs.tcp_port
        if current_port ~= 0 then tcp_port_table:add(current_port, muxado) end
    end
end

muxado:register_heuristic("tcp", heuristic)
