import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPatternGrammar, MAX_PATTERN_GRAMMAR_LENGTH, MAX_PATTERN_NESTING } from '../../src/stix/pattern-grammar.js';
import { buildPattern, PATTERN_TYPES, type PatternIocType } from '../../src/stix/pattern-build.js';
import { iocStixObject } from '../../src/stix/render-ioc.js';
import type { IocVersionInput } from '../../src/store/types.js';

// Patterns are data: the cases below come from the OASIS cti-pattern-validator's STIX 2.1 tests
// (stix2patterns/test/v21/test_validator.py, test_inspector.py, and the spec examples it runs), the STIX 2.1
// Patterning text, and our own edge cases. String.raw keeps backslashes exactly as the pattern holds them.

const MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f';
const SHA512 = 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

function accepts(pattern: string): void {
  const result = checkPatternGrammar(pattern);
  if (!result.ok) assert.fail(`expected ${JSON.stringify(pattern)} to be accepted, got: ${result.reason}`);
}

function refuses(pattern: string, expected?: RegExp): string {
  const result = checkPatternGrammar(pattern);
  if (result.ok) assert.fail(`expected ${JSON.stringify(pattern.slice(0, 200))} to be refused`);
  assert.equal(typeof result.reason, 'string');
  assert.ok(result.reason.length > 0, 'reason must not be empty');
  assert.ok(result.reason.length <= 300, `reason too long: ${result.reason.length}`);
  assert.doesNotMatch(result.reason, /internal pattern grammar error/);
  if (expected !== undefined) assert.match(result.reason, expected);
  return result.reason;
}

const label = (p: string) => JSON.stringify(p.length > 100 ? `${p.slice(0, 100)}…` : p);

// ---------------------------------------------------------------------------------------------------------
// Valid patterns
// ---------------------------------------------------------------------------------------------------------

/** PASS_CASES of the validator's STIX 2.1 tests. */
const VALIDATOR_VALID: readonly string[] = [
  '[file:size = 1280]',
  '[file:size != 1280]',
  '[file:size < 1024]',
  '[file:size <= 1024]',
  '[file:size > 1024]',
  '[file:size >= 1024]',
  "[file:file_name = 'my_file_name']",
  "[file:extended_properties.'ntfs-ext'.sid = '234']",
  String.raw`[emailaddr:value MATCHES '.+\\@ibm\\.com$' OR file:name MATCHES '^Final Report.+\\.exe$']`,
  "[ipv4addr:value ISSUBSET '192.168.0.1/24']",
  "[ipv4addr:value NOT ISSUBSET '192.168.0.1/24']",
  "[user-account:value = 'Peter'] AND [user-account:value != 'Paul'] AND [user-account:value = 'Mary'] WITHIN 5 SECONDS",
  "[file:file_system_properties.file_name LIKE 'name%']",
  "[file:file_name IN ('test.txt', 'test2.exe', 'README')]",
  '[file:size IN (1024, 2048, 4096)]',
  "[network-connection:extended_properties[0].source_payload MATCHES 'dGVzdHRlc3R0ZXN0']",
  String.raw`[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN 5 SECONDS`,
  "[x_whatever:detected == t'2018-03-22T12:11:14.1Z']",
  "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
  '[foo:bar=1] REPEATS 9 TIMES',
  "[network-traffic:start = '2018-04-20T12:36:24.558Z']",
  '( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])',
  String.raw`([win-registry-key:key = 'hkey_local_machine\\foo\\bar']) WITHIN 5 SECONDS WITHIN 6 SECONDS`,
  String.raw`([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] REPEATS 2 TIMES) REPEATS 2 TIMES`,
  "[network-traffic:src_port = 37020 AND user-account:user_id = 'root'] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' OR [ipv4-addr:value = '192.168.122.83'] START t'2016-06-01T03:55:00.123Z' STOP t'2016-06-01T04:30:24.743Z'",
];

/**
 * The patterning specification's examples as the validator's tests run them. One (an unquoted
 * `windows-pebinary-ext` step) is STIX 2.0 syntax; it is here with the step quoted, as STIX 2.1 writes it, and
 * in the invalid table as written for 2.0.
 */
const SPEC_EXAMPLES: readonly string[] = [
  `[file:hashes.'SHA-256' = '${SHA256}']`,
  String.raw`[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
  `[file:hashes.'SHA-256' = '${SHA256}' AND file:mime_type = 'application/x-pdf']`,
  `[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = '${MD5}'] AND [file:hashes.'SHA-256' = '${SHA256}']`,
  String.raw`([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`,
  "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']",
  String.raw`[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`,
  String.raw`[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`,
  "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
  "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
  "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']",
  "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
  "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
  "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
  "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
  String.raw`[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']`,
  "[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']",
  "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']",
  "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
  "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
  "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
  String.raw`([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']`,
];

/** Patterns the validator's STIX 2.1 inspector tests parse (all valid except the duplicate REPEATS, below). */
const INSPECTOR_VALID: readonly string[] = [
  '[foo:bar = 1]',
  '[foo:bar = 1] REPEATS 5 TIMES',
  '[foo:bar = 1] WITHIN 10.3 SECONDS',
  '[foo:bar = 1] WITHIN 123 SECONDS',
  "[foo:bar = 1] START t'1932-11-12T15:42:15Z' STOP t'1964-10-23T21:12:26Z'",
  '[foo:bar = 1] REPEATS 1 TIMES AND [foo:baz = 2] WITHIN 1.23 SECONDS',
  "([foo:bar = 1] START t'1932-11-12T15:42:15Z' STOP t'1964-10-23T21:12:26Z' AND [foo:abc < h'12ab']) WITHIN 22 SECONDS OR [frob:baz NOT IN (1,2,3)] REPEATS 31 TIMES",
  '[foo:bar = 1] AND [foo:baz > 25.2]',
  "[foo:bar = 1] OR [foo:baz != 'hello']",
  '[foo:bar = 1] FOLLOWEDBY [foo:baz IN (1,2,3)]',
  "[foo:bar = 1] AND [foo:baz = 22] OR [foo:abc = '123']",
  "[foo:bar = 1] OR ([foo:baz = false] FOLLOWEDBY [frob:abc LIKE '123']) WITHIN 46.1 SECONDS",
  '[foo:bar=1 AND foo:baz=2]',
  '[foo:bar NOT !=1 OR bar:foo<12.3]',
  String.raw`[foo:bar=1] OR [foo:baz MATCHES '123\\\\d+']`,
  "[foo:bar=1 AND bar:foo NOT >33] REPEATS 12 TIMES OR   ([baz:bar ISSUBSET '1234'] FOLLOWEDBY [baz:quux NOT LIKE 'a_cd'])",
  "[obj-type:a.b[*][1].'c-d' NOT ISSUPERSET '1.2.3.4/16']",
];

/** Our own valid edge cases. */
const OWN_VALID: readonly string[] = [
  // qualifiers
  '[a:b = 1] WITHIN .5 SECONDS',
  '[a:b = 1] WITHIN +5 SECONDS',
  '[a:b = 1] WITHIN 0.001 SECONDS',
  '[a:b = 1] REPEATS +2 TIMES',
  "[a:b = 1] REPEATS 1 TIMES WITHIN 10 SECONDS START t'2024-01-01T00:00:00Z' STOP t'2024-01-01T00:00:00.001Z'",
  "[a:b = 1] START t'2024-01-01T00:00:00.5Z' STOP t'2024-01-01T00:00:00.50001Z'",
  '[a:b = 1]WITHIN 1 SECONDS',
  '([a:b = 1] WITHIN 1 SECONDS) WITHIN 2 SECONDS',
  '[a:b = 1] WITHIN 1 SECONDS AND [c:d = 2] WITHIN 1 SECONDS',
  '(([a:b = 1]) REPEATS 2 TIMES) REPEATS 3 TIMES WITHIN 4 SECONDS WITHIN 5 SECONDS',
  // timestamps
  "[a:b = t'2024-02-29T23:59:60.123456Z']",
  "[a:b = t'2000-02-29T00:00:00Z']",
  "[a:b = t'0000-01-01T00:00:00Z']",
  "[a:b = t'9999-12-31T23:59:59.999999999Z']",
  "[a:b > t'2024-04-30T12:00:00Z']",
  // hex, binary, strings, numbers, booleans
  "[a:b = h'']",
  "[a:b = h'DEADbeef']",
  "[a:b = b'YQ==']",
  "[a:b = b'YWI=']",
  "[a:b = b'YWJj']",
  "[a:b = b'+/+/']",
  String.raw`[a:b = 'it\'s \\ fine']`,
  "[a:b = '']",
  "[a:b = 'multi\nline\ttext \u0000 ok']",
  "[a:b = '\u{1F600} \u202e ü']",
  "[a:b = '] OR [c:d = 1']",
  '[a:b = -0]',
  '[a:b = 0]',
  '[a:b = -1.5]',
  '[a:b = -.5]',
  '[a:b = 00.5]',
  '[a:b != +3]',
  "[a:b <> 'x']",
  '[a:b = true] OR [a:b = false]',
  '[a:b NOT = true]',
  "[a:b IN (1, 'two', 3.0, true, h'00', b'AAAA', t'2024-01-01T00:00:00Z', -4)]",
  '[a:b IN ()]',
  "[a:b NOT IN ('x')]",
  "[a:b NOT MATCHES '^x$']",
  "[a:b NOT LIKE 'x%']",
  "[a:b NOT ISSUPERSET '10.0.0.0/8']",
  // object paths
  "[a:'quoted first' = 1]",
  "[a:'' = 1]",
  '[a:b[-1] = 1]',
  '[a:b[+2] = 1]',
  '[a:b[0][*][3].c = 1]',
  '[x_custom-obj:prop = 1]',
  '[x-usb:a_b = 1]',
  '[_x:_y = 1]',
  '[a-:b = 1]',
  '[ANDROID:value = 1]',
  '[file:INx = 1]',
  '[file:within = 1]',
  "[file:'IN' = 1]",
  "[file:extensions.'AND'.x = 1]",
  '[EXISTS a:b]',
  "[EXISTS file:hashes.'SHA-256' AND file:size > 0]",
  // hashes: spellings and free-form names
  `[file:hashes.sha256 = '${SHA256}']`,
  `[file:hashes.'sha-256' = '${SHA256.toUpperCase()}']`,
  `[file:hashes.SHA256 = '${SHA256}']`,
  `[file:hashes.MD5 = '${MD5}']`,
  `[file:hashes.'SHA-1' = '${SHA1}']`,
  `[file:hashes.SHA1 = '${SHA1}']`,
  `[file:hashes.'SHA-512' = '${SHA512}']`,
  `[file:hashes.'SHA3-256' = '${SHA256}']`,
  `[file:hashes.'SHA3-512' = '${SHA512}']`,
  "[file:hashes.TLSH = 'T1anything goes here']",
  "[file:hashes.'SSDEEP' = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
  "[file:hashes.'x-custom' = 'zzz']",
  "[file:hashes.MD5 LIKE 'cead%']",
  "[file:hashes.MD5 MATCHES '^[0-9a-f]{32}$']",
  `[file:hashes.MD5 IN ('${MD5}', '${MD5.toUpperCase()}')]`,
  `[file:hashes.MD5 != '${MD5}']`,
  "[file:hashes[0] = 'x']",
  `[file:extensions.'x'.hashes.MD5 = '${MD5}']`,
  // operators, parentheses, whitespace and comments
  '[a:b = 1] FOLLOWEDBY [c:d = 2] OR [e:f = 3] AND [g:h = 4]',
  '[a:b = 1 AND (c:d = 2 OR (e:f = 3 AND g:h = 4))]',
  '(([a:b = 1]))',
  '[a:b = 1] // trailing comment',
  '[a:b /* inner */ = 1 /* and ] here */]',
  '\u3000[a:b=1]\u2028\u00a0',
  '\t(\n[a:b\r=\f1]\v)',
  '[a:b = 1]AND[c:d = 2]',
  `${'('.repeat(MAX_PATTERN_NESTING - 1)}[a:b = 1]${')'.repeat(MAX_PATTERN_NESTING - 1)}`,
  `[${'('.repeat(MAX_PATTERN_NESTING - 1)}a:b = 1${')'.repeat(MAX_PATTERN_NESTING - 1)}]`,
];

// ---------------------------------------------------------------------------------------------------------
// Invalid patterns
// ---------------------------------------------------------------------------------------------------------

type InvalidCase = [pattern: string, reason: RegExp];

/** FAIL_CASES of the validator's STIX 2.1 tests (its 2.0 failures are the first eight of these). */
const VALIDATOR_INVALID: readonly InvalidCase[] = [
  ['file:size = 1280', /must start with '\['.*offset 0/],
  ['[file:size = ]', /expected a value.*']' at offset 13/],
  [`[file:hashes.MD5 = ${MD5}]`, /strings need single quotes/],
  ['[file.size = 1280]', /expected ':' after object type 'file' at offset 5/],
  [String.raw`[file:name MATCHES /.*\.dll/]`, /unexpected character '\/' at offset 19/],
  [String.raw`[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN ]`, /WITHIN needs a positive number of seconds at offset 63/],
  [String.raw`[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN 5 HOURS]`, /expected SECONDS.*HOURS.*offset 65/],
  [String.raw`[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN -5 SECONDS]`, /WITHIN needs a positive number of seconds at offset 63/],
  ['[network-traffic:dst_ref.value ISSUBSET ]', /ISSUBSET needs a string.*offset 40/],
  [`[file:hashes.MD5 =? '${MD5}']`, /unexpected character '\?' at offset 18/],
  ["[x_whatever:detected == t'2457-73-22T32:81:84.1Z']", /timestamp.*offset 24.*month 73/],
  ["[artifact:payload_bin = b'====']", /binary literal at offset 24 is not valid base64/],
  ['[foo:bar=1] within 2 seconds', /'within' at offset 12 must be written in upper case/],
  ["[file:hashes.'SHA-256' = 'f00']", /'f00' at offset 25 is not a valid SHA-256 hash/],
  [String.raw`[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN 5 SECONDS WITHIN 6 SECONDS`, /duplicate WITHIN qualifier.*offset 73/],
  [String.raw`([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] REPEATS 2 TIMES REPEATS 3 TIMES)`, /duplicate REPEATS qualifier/],
  [
    String.raw`[win-registry-key:key = 'hkey_local_machine\\foo\\bar'] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'`,
    /duplicate START\/STOP qualifier/,
  ],
];

/** The validator's inspector parses this one; its validator refuses the repeated qualifier. */
const INSPECTOR_INVALID: readonly InvalidCase[] = [['[foo:bar = 1] REPEATS 1 TIMES REPEATS 2 TIMES', /duplicate REPEATS qualifier at|duplicate REPEATS qualifier on/]];

/** STIX 2.0 syntax that STIX 2.1 no longer accepts. */
const STIX20_ONLY: readonly InvalidCase[] = [
  ['[file:extensions.windows-pebinary-ext.sections[*].entropy > 7.0]', /'windows-pebinary-ext' at offset 17 contains '-' and must be quoted/],
  ["[file:extended_properties.ntfs-ext.sid = '234']", /'ntfs-ext'.*must be quoted/],
  ["[a:b = 1] START '2016-06-01T01:30:00Z' STOP '2016-06-01T02:30:00Z'", /START needs a timestamp/],
];

/** The examples of the task, and our own. */
const OWN_INVALID: readonly InvalidCase[] = [
  // structure
  ['', /empty pattern/],
  ['   \n', /empty pattern/],
  ['(', /end of pattern/],
  ['[]', /empty observation expression '\[\]' at offset 0/],
  ['()', /must start with '\['.*'\)' at offset 1/],
  ['[a:b = 1] OR ()', /empty parentheses '\(\)' at offset 13/],
  ['[()]', /empty parentheses '\(\)' at offset 1/],
  ['([a:b = 1]) ()', /expected AND, OR, FOLLOWEDBY/],
  ['[a:b = 1] AND', /expected an observation expression/],
  ['[a:b = 1]]', /got ']' at offset 9/],
  ['[a:b = 1', /'\[' at offset 0 is never closed/],
  ['[a:b = 1)', /expected AND, OR or '\]'.*'\)' at offset 8/],
  ['([a:b = 1]', /expected '\)' to close '\(' at offset 0, got end of pattern/],
  ['([a:b = 1] [c:d = 2])', /expected AND, OR, FOLLOWEDBY, a qualifier or '\)'/],
  ['([a:b = 1]))', /'\)' at offset 11/],
  ['[a:b = 1] [c:d = 2]', /'\[' at offset 10/],
  ['[a:b = 1] and [c:d = 2]', /'and' at offset 10 must be written in upper case/],
  ['[a:b = 1] NOT [c:d = 2]', /'NOT' at offset 10/],
  ['[a:b = 1 FOLLOWEDBY c:d = 2]', /FOLLOWEDBY at offset 9 joins observation expressions/],
  ['[a:b = 1] FOLLOWEDBY', /expected an observation expression/],
  ['[a:b = 1] AND AND [c:d = 2]', /'AND' at offset 14/],
  ['[a:b = 1] ,', /',' at offset 10/],
  ['[a:b = 1 and c:d = 2]', /'and' at offset 9 must be written in upper case/],
  ['[(a:b = 1]', /expected AND, OR or '\)'/],
  ['[a:b = 1 AND]', /expected a comparison, got '\]' at offset 12/],
  // qualifiers
  ['[a:b = 1] WITHIN -5 SECONDS', /WITHIN needs a positive number of seconds at offset 17/],
  ['[a:b = 1] WITHIN 0 SECONDS', /WITHIN needs a positive number of seconds at offset 17/],
  ['[a:b = 1] WITHIN 0.0 SECONDS', /WITHIN needs a positive number/],
  ['[a:b = 1] WITHIN -0.5 SECONDS', /WITHIN needs a positive number/],
  ['[a:b = 1] WITHIN 5', /expected SECONDS/],
  ['[a:b = 1] WITHIN five SECONDS', /WITHIN needs a positive number/],
  ['[a:b = 1] WITHIN 5 seconds', /expected SECONDS/],
  ['[a:b = 1] WITHIN', /WITHIN needs a positive number of seconds at offset 10/],
  ['[a:b = 1] REPEATS 0 TIMES', /REPEATS needs a positive whole number/],
  ['[a:b = 1] REPEATS 1.5 TIMES', /REPEATS needs a positive whole number/],
  ['[a:b = 1] REPEATS -1 TIMES', /REPEATS needs a positive whole number/],
  ['[a:b = 1] REPEATS 2', /expected TIMES/],
  ["[a:b = 1] START t'2016-06-01T02:30:00Z' STOP t'2016-06-01T01:30:00Z'", /STOP .* must be later than START/],
  ["[a:b = 1] START t'2016-06-01T02:30:00Z' STOP t'2016-06-01T02:30:00.000Z'", /must be later than START/],
  ["[a:b = 1] START t'2016-06-01T02:30:00.5Z' STOP t'2016-06-01T02:30:00.49999Z'", /must be later than START/],
  ["[a:b = 1] START t'2016-06-01T02:30:00Z'", /expected STOP/],
  ["[a:b = 1] STOP t'2016-06-01T02:30:00Z'", /STOP at offset 10 without a preceding START/],
  ["[a:b = 1] START t'2016-06-01T02:30:00Z' STOP", /STOP needs a timestamp/],
  ["[a:b = 1] REPEATS 2 TIMES WITHIN 1 SECONDS REPEATS 3 TIMES", /duplicate REPEATS/],
  // timestamps
  ["[a:b = t'2024-13-01T12:00:00Z']", /month 13 does not exist/],
  ["[a:b = t'2024-00-01T12:00:00Z']", /month 00 does not exist/],
  ["[a:b = t'2024-01-15T12:30:45']", /lacks the 'Z'/],
  ["[a:b = t'2023-02-29T12:00:00Z']", /day 29 does not exist in 2023-02/],
  ["[a:b = t'1900-02-29T12:00:00Z']", /day 29 does not exist in 1900-02/],
  ["[a:b = t'2024-04-31T12:00:00Z']", /day 31 does not exist/],
  ["[a:b = t'2024-04-00T12:00:00Z']", /day 00 does not exist/],
  ["[a:b = t'2024-04-01T24:00:00Z']", /hour 24 does not exist/],
  ["[a:b = t'2024-04-01T12:60:00Z']", /minute 60 does not exist/],
  ["[a:b = t'2024-04-01T12:00:60Z']", /second 60 does not exist at 12:00/],
  ["[a:b = t'2024-04-01T23:59:61Z']", /second 61 does not exist/],
  ["[a:b = t'2024-01-15T12:30:45+00:00']", /UTC with an upper-case 'Z'/],
  ["[a:b = t'2024-01-15T12:30:45z']", /upper-case 'Z'/],
  ["[a:b = t'2024-01-15 12:30:45Z']", /not of the form/],
  ["[a:b = t'2024-01-15T12:30:45.Z']", /not of the form/],
  ["[a:b = t'2024-1-15T12:30:45Z']", /not of the form/],
  ["[a:b = t'']", /not of the form/],
  ["[a:b = T'2024-01-15T12:30:45Z']", /strings need single quotes|expected AND, OR/],
  ["[a:b = t'2024-01-15T12:30:45Z]", /no closing quote/],
  // hex and binary
  ["[a:b = h'abc']", /odd number of hex digits/],
  ["[a:b = h'zz']", /non-hex character 'z'/],
  ["[a:b = h'0x00']", /non-hex character 'x'/],
  ["[a:b = b'']", /not valid base64: it is empty/],
  ["[a:b = b'abc']", /length 3 is not a multiple of 4/],
  ["[a:b = b'YQ=']", /not a multiple of 4/],
  ["[a:b = b'Y===']", /'=' padding at position 1/],
  ["[a:b = b'YQ==YQ==']", /'=' padding at position 2/],
  ["[a:b = b'Y Q==']", /not valid base64/],
  ["[a:b = b'Y QA']", /character U\+0020 at position 1 is not base64/],
  ["[a:b = b'YQ-_']", /character '-' at position 2 is not base64/],
  // strings
  ["[a:b = 'unterminated]", /unterminated string starting at offset 7/],
  [String.raw`[a:b = 'bad \n escape']`, /invalid escape '\\' followed by 'n'/],
  [String.raw`[a:b = 'trailing \']`, /unterminated string/],
  ['[a:b = "double"]', /unexpected character '"' at offset 7/],
  // operators
  ['[a:b =< 1]', /expected a value after '='/],
  ['[a:b === 1]', /expected a value after '=='/],
  ['[a:b ! = 1]', /unexpected character '!'/],
  ['[a:b => 1]', /expected a value after '='/],
  ["[a:b like 'x']", /operator 'like' at offset 5 must be written in upper case/],
  ["[a:b not = 'x']", /operator 'not' at offset 5 must be written in upper case/],
  ['[a:b LIKE 5]', /LIKE needs a string in quotes/],
  ["[a:b MATCHES h'00']", /MATCHES needs a string in quotes/],
  ['[a:b ISSUPERSET 1]', /ISSUPERSET needs a string/],
  ["[a:b NOT ISSUBSET t'2024-01-01T00:00:00Z']", /NOT ISSUBSET needs a string/],
  ["[a:b IN 'x']", /IN at offset 5 needs a parenthesized list/],
  ['[a:b IN (1,)]', /expected a value/],
  ['[a:b IN (1 2)]', /expected ',' or '\)'/],
  ['[a:b IN (1, [)]', /expected a value/],
  ['[a:b IN (1, 2]', /expected ',' or '\)'/],
  ['[a:b NOT NOT = 1]', /NOT at offset 9 repeated/],
  ['[NOT a:b = 1]', /NOT at offset 1 goes after the object path/],
  ['[a:b NOT EXISTS]', /EXISTS at offset 9 comes before the object path/],
  ['[a:b EXISTS]', /EXISTS at offset 5 comes before the object path/],
  ['[EXISTS]', /expected an object path/],
  ['[a:b > false]', /operator '>' at offset 5 cannot compare a boolean/],
  ['[a:b <= true]', /cannot compare a boolean/],
  ['[a:b NOT < true]', /cannot compare a boolean/],
  ['[a:b = TRUE]', /strings need single quotes/],
  ['[a:b 1]', /expected a comparison operator after 'a:b'/],
  ['[a:b]', /expected a comparison operator/],
  ['[a:b = 1 = 2]', /expected AND, OR or '\]'/],
  ['[1 = a:b]', /expected an object path/],
  // object paths
  ['[a:b-c = 1]', /'b-c' at offset 3 contains '-' and must be quoted/],
  ['[a:b.c-d = 1]', /'c-d'.*must be quoted/],
  ['[a: = 1]', /expected a property name/],
  ['[:b = 1]', /expected an object path/],
  ['[a:b. = 1]', /expected a property name/],
  ['[a:b[x] = 1]', /list index at offset 4 must be an integer or '\*'/],
  ['[a:b[1.5] = 1]', /list index .* must be an integer/],
  ['[a:b[] = 1]', /list index .* must be an integer/],
  ['[a:b[*] = 1', /never closed/],
  ['[a:b[1 = 1]', /expected '\]' to close the list index/],
  ["['a':b = 1]", /expected an object path/],
  ['[1a:b = 1]', /expected AND, OR or '\]'|expected an object path/],
  ['[a:AND = 1]', /reserved word 'AND'.*must be quoted/],
  ['[a:b.true = 1]', /reserved word 'true'.*must be quoted/],
  ['[LAST:b = 1]', /reserved word 'LAST'.*cannot be an object type/],
  ['[true:b = 1]', /reserved word 'true'.*cannot be an object type/],
  ['[a:b:c = 1]', /expected a comparison operator/],
  ['[a.b:c = 1]', /expected ':' after object type 'a'/],
  ['[a:b.5 = 1]', /expected a comparison operator|got number/],
  // numbers
  ['[a:b = 007]', /integer 007 at offset 7 has a leading zero/],
  ['[a:b = -01]', /leading zero/],
  ['[a:b = 1.]', /expected AND, OR or '\]'.*'\.' at offset 8/],
  ['[a:b = --1]', /sign must be followed by a number/],
  ['[a:b = 1e5]', /identifier 'e5'/],
  ['[a:b = + 1]', /sign must be followed by a number/],
  ['[a:b = 0x10]', /identifier 'x10'/],
  // hashes
  [`[file:hashes.MD5 = '${MD5.slice(1)}']`, /not a valid MD5 hash \(expected 32 hex digits\)/],
  [`[file:hashes.MD5 = '${MD5.slice(1)}z']`, /not a valid MD5 hash/],
  [`[file:hashes.'SHA-1' = '${SHA1.slice(1)}']`, /not a valid SHA-1 hash/],
  [`[file:hashes.sha1 = '${SHA1}0']`, /not a valid SHA-1 hash/],
  [`[file:hashes.SHA1 = '${SHA256}']`, /not a valid SHA-1 hash/],
  [`[file:hashes.'SHA-512' = '${SHA512.slice(1)}']`, /not a valid SHA-512 hash/],
  [`[file:hashes.'SHA3-256' = '${SHA256.slice(1)}']`, /not a valid SHA3-256 hash/],
  [`[file:hashes.'SHA3-512' = '${SHA256}']`, /not a valid SHA3-512 hash/],
  [`[file:hashes.'SHA-256' = ' ${SHA256}']`, /not a valid SHA-256 hash/],
  ["[file:hashes.SSDEEP = '3:abc def']", /not a valid SSDEEP hash/],
  [`[file:hashes.SSDEEP = '${'a'.repeat(129)}']`, /not a valid SSDEEP hash/],
  ['[file:hashes.MD5 = 5]', /MD5 hash compared with number 5/],
  [`[file:hashes.'SHA-256' = h'${SHA256}']`, /SHA-256 hash compared with hex literal/],
  [`[file:hashes.MD5 IN ('${MD5}', 'nope')]`, /'nope' at offset \d+ is not a valid MD5 hash/],
  ["[file:extensions.'x'.hashes.MD5 = 'short']", /not a valid MD5 hash/],
  [`[file:hashes.MD5 = '${MD5}' OR file:hashes.'SHA-256' = '${MD5}']`, /not a valid SHA-256 hash/],
  [`[file:name = 'x'] AND [artifact:hashes.'RIPEMD-160' = '${MD5}']`, /not a valid RIPEMD-160 hash/],
  // characters and comments
  ['[a:b = 1] ;', /unexpected character ';' at offset 10/],
  ['[a:b = 1]\u0000', /unexpected character U\+0000 at offset 9/],
  ['[a:b = 1] \u200b', /unexpected character U\+200B/],
  ['[a:b = 1] ^', /unexpected character '\^'/],
  ['/* leading */ [a:b = 1]', /must start with '\['/],
  ['[a:b = 1] /* unterminated', /unterminated comment starting at offset 10/],
  ['[a:b = 1] / 2', /unexpected character '\/'/],
  ['x[a:b = 1]', /must start with '\['/],
];

// ---------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------

describe('checkPatternGrammar: valid STIX 2.1 patterns', () => {
  const tables: Array<[string, readonly string[]]> = [
    ['validator PASS_CASES', VALIDATOR_VALID],
    ['specification examples', SPEC_EXAMPLES],
    ['validator inspector cases', INSPECTOR_VALID],
    ['own edge cases', OWN_VALID],
  ];
  for (const [name, cases] of tables) {
    describe(name, () => {
      for (const pattern of cases) it(label(pattern), () => accepts(pattern));
    });
  }
});

describe('checkPatternGrammar: invalid patterns are refused with a reason', () => {
  const tables: Array<[string, readonly InvalidCase[]]> = [
    ['validator FAIL_CASES', VALIDATOR_INVALID],
    ['validator inspector case', INSPECTOR_INVALID],
    ['STIX 2.0 only', STIX20_ONLY],
    ['own edge cases', OWN_INVALID],
  ];
  for (const [name, cases] of tables) {
    describe(name, () => {
      for (const [pattern, reason] of cases) {
        it(label(pattern), () => {
          refuses(pattern, reason);
        });
      }
    });
  }

  it('no pattern is in both tables', () => {
    const valid = new Set([...VALIDATOR_VALID, ...SPEC_EXAMPLES, ...INSPECTOR_VALID, ...OWN_VALID]);
    for (const [pattern] of [...VALIDATOR_INVALID, ...INSPECTOR_INVALID, ...STIX20_ONLY, ...OWN_INVALID]) {
      assert.ok(!valid.has(pattern), JSON.stringify(pattern));
    }
  });
});

describe('checkPatternGrammar: limits', () => {
  it(`refuses patterns longer than ${MAX_PATTERN_GRAMMAR_LENGTH} characters before parsing`, () => {
    const head = "[a:b = '";
    const fits = `${head}${'x'.repeat(MAX_PATTERN_GRAMMAR_LENGTH - head.length - 2)}']`;
    assert.equal(fits.length, MAX_PATTERN_GRAMMAR_LENGTH);
    accepts(fits);
    refuses(`${fits} `, new RegExp(`${MAX_PATTERN_GRAMMAR_LENGTH + 1} characters long; the limit is ${MAX_PATTERN_GRAMMAR_LENGTH}`));
  });

  it(`refuses nesting deeper than ${MAX_PATTERN_NESTING}`, () => {
    const n = MAX_PATTERN_NESTING;
    refuses(`${'('.repeat(n)}[a:b = 1]${')'.repeat(n)}`, new RegExp(`nesting deeper than ${n} .* at offset ${n}`));
    refuses(`[${'('.repeat(n)}a:b = 1${')'.repeat(n)}]`, new RegExp(`nesting deeper than ${n} .* at offset ${n}`));
    refuses(`${'('.repeat(n >> 1)}[${'('.repeat(n >> 1)}a:b = 1${')'.repeat(n >> 1)}]${')'.repeat(n >> 1)}`, /nesting deeper/);
  });

  it('does not overflow the stack on very deep input within the length limit', () => {
    refuses('('.repeat(MAX_PATTERN_GRAMMAR_LENGTH), /nesting deeper/);
    refuses(`[${'('.repeat(MAX_PATTERN_GRAMMAR_LENGTH - 1)}`, /nesting deeper/);
    refuses(`(${'[('.repeat(30_000)}`, /nesting deeper|expected an object path/);
    refuses(`[a:b = 1${')'.repeat(30_000)}]`, /expected AND, OR or '\]'/);
  });

  // Their times are printed by bench/worst-case.ts and bench/fuzz.ts.
  it('handles long flat inputs', () => {
    const obs = `[file:hashes.MD5 = '${MD5}']`;
    const parts: string[] = [];
    while ((parts.length + 1) * (obs.length + 4) < MAX_PATTERN_GRAMMAR_LENGTH) parts.push(obs);
    const flat = parts.join(' OR ');
    const inner = `[${parts.map((p) => p.slice(1, -1)).join(' AND ')}]`;
    const qualifiers = `([a:b = 1])${' WITHIN 1 SECONDS'.repeat(3_000)}`;
    accepts(flat);
    accepts(inner);
    accepts(qualifiers);
    refuses(`${flat} OR`);
    refuses(`'${'\\\\'.repeat(30_000)}`);
  });

  it('refuses non-strings without throwing', () => {
    for (const value of [undefined, null, 42, {}, ['[a:b = 1]']]) {
      const result = checkPatternGrammar(value as unknown as string);
      assert.equal(result.ok, false);
    }
  });

  it('reasons are printable: no controls or bidi characters from the input', () => {
    const reason = refuses("[a:b = 1] \u202e\u0007'", undefined);
    assert.doesNotMatch(reason, /[\u0000-\u001f\u202e]/);
    const reason2 = refuses(`[a\u202e:b = 1] AND [c:d = '\u202e${'y'.repeat(500)}'] x`, undefined);
    assert.doesNotMatch(reason2, /[\u202e]/);
    assert.ok(reason2.length < 200);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Our own renderer's patterns
// ---------------------------------------------------------------------------------------------------------

const HOSTILE_FRAGMENTS = [
  "'",
  '\\',
  "\\'",
  "''",
  ']',
  '[',
  ' OR ',
  ' AND ',
  '/*',
  '*/',
  '//',
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u2028',
  '\u202e',
  '\ufeff',
  '😀',
  '\ud800',
  '\udc00',
  "t'2024-01-01T00:00:00Z'",
  "h'zz'",
  'WITHIN -5 SECONDS',
  'é',
  'x',
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function hostileString(rand: () => number): string {
  let out = '';
  const pieces = Math.floor(rand() * 10);
  for (let k = 0; k < pieces; k += 1) {
    out += rand() < 0.7 ? pick(rand, HOSTILE_FRAGMENTS) : String.fromCodePoint(Math.floor(rand() * 0x2ffff) & ~0x800);
  }
  return out;
}

function randomHex(rand: () => number, length: number): string {
  let out = '';
  for (let k = 0; k < length; k += 1) out += '0123456789abcdef'[Math.floor(rand() * 16)];
  return out;
}

/** A value of the kind our ingest stores for `type` (hashes are validated and normalized before STIX). */
function storedValue(rand: () => number, type: PatternIocType): string {
  switch (type) {
    case 'md5':
      return randomHex(rand, 32);
    case 'sha1':
      return randomHex(rand, 40);
    case 'sha256':
      return randomHex(rand, 64);
    default:
      return hostileString(rand);
  }
}

describe('every pattern our renderer emits is valid STIX 2.1', () => {
  it('buildPattern for each type, with hostile string values', () => {
    const rand = mulberry32(0x57124);
    for (const type of PATTERN_TYPES) {
      for (let k = 0; k < 2_000; k += 1) accepts(buildPattern(type, storedValue(rand, type)));
    }
    for (const value of ['', "'", '\\', "\\'", "'\\", "http://x/a'b\\c", 'x'.repeat(20_000)]) {
      for (const type of ['ipv4', 'ipv6', 'domain', 'url', 'email'] as const) accepts(buildPattern(type, value));
    }
    accepts(buildPattern('md5', MD5));
    accepts(buildPattern('sha1', SHA1));
    accepts(buildPattern('sha256', SHA256));
    accepts(buildPattern('sha256', SHA256.toUpperCase()));
  });

  it('indicator objects from iocStixObject', () => {
    const rand = mulberry32(0x10c);
    for (const type of PATTERN_TYPES) {
      for (let k = 0; k < 50; k += 1) {
        const v: IocVersionInput = {
          stixId: 'indicator--00000000-0000-4000-8000-000000000000',
          type,
          value: storedValue(rand, type),
          score: 50,
          tags: ['tor'],
          malware: [],
          sectors: [],
          tlp: 'green',
          revoked: false,
          firstSeen: 1_700_000_000_000,
          validUntil: 1_800_000_000_000,
          created: 1_700_000_000_000,
          modified: 1_700_000_000_000,
          sources: [{ id: 'src', name: 'Source' }],
        };
        const object = iocStixObject(v, 'identity--00000000-0000-4000-8000-000000000001');
        assert.equal(object.type, 'indicator');
        accepts(object.pattern as string);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Generated patterns (a small seeded generator; fast-check is not a dependency)
// ---------------------------------------------------------------------------------------------------------

const TYPES = ['file', 'ipv4-addr', 'x-custom-thing', 'a', 'x_y'];
const KEYS = ['name', 'value', "'SHA-256'", "'with space'", 'size', '_x', "''"];
const SEPARATORS = [' ', '  ', '\n', '\t', ' /* c */ '];

function literal(rand: () => number, orderable: boolean): string {
  const choices = [
    () => `'${hostileString(rand).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
    () => String(Math.floor(rand() * 1000) - 500),
    () => `${rand() < 0.5 ? '-' : ''}${Math.floor(rand() * 100)}.${Math.floor(rand() * 100)}`,
    () => `h'${randomHex(rand, 2 * Math.floor(rand() * 4))}'`,
    () => pick(rand, ["b'AAAA'", "b'YQ=='", "b'YWI='", "b'+/+/AAAA'"]),
    () => `t'${2000 + Math.floor(rand() * 30)}-0${1 + Math.floor(rand() * 9)}-2${Math.floor(rand() * 9)}T1${Math.floor(rand() * 10)}:3${Math.floor(rand() * 10)}:0${Math.floor(rand() * 10)}${rand() < 0.5 ? '.123' : ''}Z'`,
  ];
  if (!orderable) choices.push(() => pick(rand, ['true', 'false']));
  return pick(rand, choices)();
}

function objectPath(rand: () => number): string {
  let path = `${pick(rand, TYPES)}:${pick(rand, KEYS)}`;
  const steps = Math.floor(rand() * 3);
  for (let k = 0; k < steps; k += 1) {
    path += rand() < 0.6 ? `.${pick(rand, KEYS)}` : `[${pick(rand, ['*', '0', '3', '-1'])}]`;
  }
  return path;
}

function comparison(rand: () => number, depth: number): string {
  const r = rand();
  if (r < 0.1 && depth < 4) return `(${comparisons(rand, depth + 1)})`;
  if (r < 0.15) return `EXISTS ${objectPath(rand)}`;
  const not = rand() < 0.2 ? ' NOT' : '';
  const path = objectPath(rand);
  const kind = Math.floor(rand() * 5);
  if (kind === 0) return `${path}${not} ${pick(rand, ['=', '==', '!=', '<>'])} ${literal(rand, false)}`;
  if (kind === 1) return `${path}${not} ${pick(rand, ['<', '<=', '>', '>='])} ${literal(rand, true)}`;
  if (kind === 2) {
    const n = Math.floor(rand() * 4);
    return `${path}${not} IN (${Array.from({ length: n }, () => literal(rand, false)).join(', ')})`;
  }
  return `${path}${not} ${pick(rand, ['LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'])} '${randomHex(rand, 4)}%'`;
}

function comparisons(rand: () => number, depth: number): string {
  const n = 1 + Math.floor(rand() * 3);
  return Array.from({ length: n }, () => comparison(rand, depth)).join(pick(rand, [' AND ', ' OR ']));
}

function qualifiers(rand: () => number, repeatable: boolean): string {
  let out = '';
  const kinds = ['WITHIN', 'REPEATS', 'START'];
  const used = new Set<string>();
  const count = Math.floor(rand() * 3);
  for (let k = 0; k < count; k += 1) {
    const kind = pick(rand, kinds);
    if (!repeatable && used.has(kind)) continue;
    used.add(kind);
    if (kind === 'WITHIN') out += ` WITHIN ${pick(rand, ['1', '300', '0.5', '.25', '+7'])} SECONDS`;
    else if (kind === 'REPEATS') out += ` REPEATS ${1 + Math.floor(rand() * 9)} TIMES`;
    else out += " START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T01:30:00.001Z'";
  }
  return out;
}

function observation(rand: () => number, depth: number): string {
  if (rand() < 0.2 && depth < 4) return `(${observations(rand, depth + 1)})${qualifiers(rand, true)}`;
  return `[${comparisons(rand, depth)}]${qualifiers(rand, false)}`;
}

function observations(rand: () => number, depth: number): string {
  const n = 1 + Math.floor(rand() * 3);
  return Array.from({ length: n }, () => observation(rand, depth)).join(pick(rand, [' AND ', ' OR ', ' FOLLOWEDBY ']));
}

describe('generated patterns', () => {
  it('accepts 3000 random valid patterns', () => {
    const rand = mulberry32(0x9a77e2);
    for (let k = 0; k < 3_000; k += 1) {
      const pattern = observations(rand, 0).replace(/ /g, () => pick(rand, SEPARATORS));
      accepts(pattern);
    }
  });

  it('never throws on mangled patterns and refuses proper prefixes of single observations', () => {
    const rand = mulberry32(0xbad5eed);
    for (let k = 0; k < 3_000; k += 1) {
      const pattern = observations(rand, 0);
      const at = Math.floor(rand() * (pattern.length + 1));
      const mangled = pattern.slice(0, at) + hostileString(rand) + pattern.slice(at + Math.floor(rand() * 3));
      const result = checkPatternGrammar(mangled);
      assert.equal(typeof result.ok, 'boolean');
      if (!result.ok) assert.doesNotMatch(result.reason, /internal pattern grammar error/);

      const single = `[${comparisons(rand, 0)}]`;
      const cut = Math.floor(rand() * single.length);
      refuses(single.slice(0, cut));
    }
  });
});
