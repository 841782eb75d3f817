import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IocType } from '../../src/domain/ioc-types.js';
import { IOC_TYPES } from '../../src/domain/ioc-types.js';
import { MAX_VALUE_LENGTH, detectType, displayValue, normalize, normalizeAny } from '../../src/domain/normalize.js';

type Accepted = readonly [type: IocType, input: string, canonical: string];
/** `mentions`: a fragment the reason must contain after the "<value>: " prefix, naming the problem. */
type Rejected = readonly [type: IocType, input: string, mentions: string];

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const LABEL63 = 'a'.repeat(63);
/** 4 × 63-char labels + "com" joined by dots = 255 characters; the 253-char variant trims the first label. */
const DOMAIN_253 = `${'b'.repeat(61)}.${LABEL63}.${LABEL63}.${LABEL63}`;
const DOMAIN_254 = `${'b'.repeat(62)}.${LABEL63}.${LABEL63}.${LABEL63}`;
const LOCAL64 = 'l'.repeat(64);
const ONE_MB = 'a'.repeat(1024 * 1024);
const LONG_PATH = `http://example.com/${'p'.repeat(MAX_VALUE_LENGTH - 'http://example.com/'.length)}`;

const ACCEPTED: readonly Accepted[] = [
  // --- ipv4 -----------------------------------------------------------------------------------
  ['ipv4', '1.2.3.4', '1.2.3.4'],
  ['ipv4', '0.0.0.0', '0.0.0.0'],
  ['ipv4', '255.255.255.255', '255.255.255.255'],
  ['ipv4', '192.168.1.1', '192.168.1.1'],
  ['ipv4', '127.0.0.1', '127.0.0.1'],
  ['ipv4', '169.254.169.254', '169.254.169.254'],
  ['ipv4', '203.0.113.7', '203.0.113.7'],
  // An address with a port is that address (host:port from logs, C2 lists, `netstat`).
  ['ipv4', '1.2.3.4:443', '1.2.3.4'],
  ['ipv4', '1[.]2[.]3[.]4:8080', '1.2.3.4'],
  ['ipv4', '1.2.3.4:0', '1.2.3.4'],
  ['ipv4', '1.2.3.4:65535', '1.2.3.4'],
  ['ipv4', '  8.8.8.8  ', '8.8.8.8'],
  ['ipv4', '\u00a08.8.4.4\u2003', '8.8.4.4'],
  ['ipv4', '1[.]2[.]3[.]4', '1.2.3.4'],
  ['ipv4', '1(.)2(.)3(.)4', '1.2.3.4'],
  ['ipv4', '1{.}2{.}3{.}4', '1.2.3.4'],
  ['ipv4', '1[dot]2[dot]3[dot]4', '1.2.3.4'],
  ['ipv4', '10.0.0.0/8', '10.0.0.0/8'],
  ['ipv4', '172.16.0.0/12', '172.16.0.0/12'],
  ['ipv4', '192.168.0.0/16', '192.168.0.0/16'],
  ['ipv4', '198.51.100.0/24', '198.51.100.0/24'],
  ['ipv4', '100.64.0.0/10', '100.64.0.0/10'],
  ['ipv4', '128.0.0.0/1', '128.0.0.0/1'],
  ['ipv4', '0.0.0.0/0', '0.0.0.0/0'],
  ['ipv4', '10.0.0.2/31', '10.0.0.2/31'],
  ['ipv4', '1.2.3.4/32', '1.2.3.4'],
  ['ipv4', '255.255.255.255/32', '255.255.255.255'],
  ['ipv4', '10[.]0[.]0[.]0/8', '10.0.0.0/8'],
  ['ipv4', '\ufeff1.2.3.4', '1.2.3.4'],
  // --- ipv6 (RFC 5952) ------------------------------------------------------------------------
  ['ipv6', '::', '::'],
  ['ipv6', '::1', '::1'],
  ['ipv6', '1::', '1::'],
  ['ipv6', '::/0', '::/0'],
  ['ipv6', '0:0:0:0:0:0:0:0', '::'],
  ['ipv6', '0:0:0:0:0:0:0:1', '::1'],
  ['ipv6', '1:0:0:0:0:0:0:0', '1::'],
  ['ipv6', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['ipv6', '2001:0db8::0001', '2001:db8::1'],
  ['ipv6', '2001:DB8::1', '2001:db8::1'],
  ['ipv6', '2001:db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ['ipv6', '2001:db8::0:1', '2001:db8::1'],
  ['ipv6', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['ipv6', '2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['ipv6', '1:0:0:1:0:0:1:1', '1::1:0:0:1:1'],
  ['ipv6', '1:0:0:1:0:0:0:1', '1:0:0:1::1'],
  ['ipv6', '2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3::8a2e:370:7334'],
  ['ipv6', 'FE80:0000:0000:0000:0202:B3FF:FE1E:8329', 'fe80::202:b3ff:fe1e:8329'],
  ['ipv6', 'fe80::1', 'fe80::1'],
  ['ipv6', '[2001:db8::1]', '2001:db8::1'],
  ['ipv6', '[2001:db8::]/32', '2001:db8::/32'],
  ['ipv6', '[2001:db8::1]:443', '2001:db8::1'],
  ['ipv6', '[2001:DB8:0::1]:8443', '2001:db8::1'],
  ['ipv6', '[::ffff:1.2.3.4]:80', '::ffff:1.2.3.4'],
  // Without brackets the last group is part of the address (2001:db8::1:443 is one valid address).
  ['ipv6', '2001:db8::1:443', '2001:db8::1:443'],
  ['ipv6', '2001:db8::/32', '2001:db8::/32'],
  ['ipv6', '2001:db8:abcd::/48', '2001:db8:abcd::/48'],
  ['ipv6', 'fe80::/10', 'fe80::/10'],
  ['ipv6', 'ff00::/8', 'ff00::/8'],
  ['ipv6', '2001:db8::1/128', '2001:db8::1'],
  ['ipv6', '::ffff:1.2.3.4', '::ffff:1.2.3.4'],
  ['ipv6', '::FFFF:1.2.3.4', '::ffff:1.2.3.4'],
  ['ipv6', '::ffff:102:304', '::ffff:1.2.3.4'],
  ['ipv6', '0:0:0:0:0:ffff:1.2.3.4', '::ffff:1.2.3.4'],
  ['ipv6', '::ffff:0:0/96', '::ffff:0.0.0.0/96'],
  ['ipv6', '64:ff9b::192.0.2.33', '64:ff9b::192.0.2.33'],
  ['ipv6', '64:ff9b::c000:221', '64:ff9b::192.0.2.33'],
  ['ipv6', '::1.2.3.4', '::102:304'],
  ['ipv6', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ['ipv6', '1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ['ipv6', '::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ['ipv6', '2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
  ['ipv6', '2001[:]db8::1', '2001:db8::1'],
  // --- domain ---------------------------------------------------------------------------------
  ['domain', 'example.com', 'example.com'],
  ['domain', 'EXAMPLE.COM', 'example.com'],
  ['domain', 'Example.Com.', 'example.com'],
  ['domain', 'example[.]com', 'example.com'],
  ['domain', 'example(.)com', 'example.com'],
  ['domain', 'host.example:8080', 'host.example'],
  ['domain', 'Host.Example.:443', 'host.example'],
  ['domain', 'evil[.]example:8443', 'evil.example'],
  ['domain', 'example{.}com', 'example.com'],
  ['domain', 'example[dot]com', 'example.com'],
  ['domain', 'example(dot)com', 'example.com'],
  ['domain', 'example[DOT]com', 'example.com'],
  ['domain', 'sub.example.co.uk', 'sub.example.co.uk'],
  ['domain', 'a.b', 'a.b'],
  ['domain', 'x.y.z.w.example.org', 'x.y.z.w.example.org'],
  ['domain', 'my-host.example.com', 'my-host.example.com'],
  ['domain', '123.example.com', '123.example.com'],
  ['domain', '1.2.3.com', '1.2.3.com'],
  ['domain', '0-0.example', '0-0.example'],
  ['domain', 'ab--cd.example', 'ab--cd.example'],
  ['domain', '_dmarc.example.com', '_dmarc.example.com'],
  ['domain', 'selector._domainkey.example.com', 'selector._domainkey.example.com'],
  ['domain', 'a_b.example.com', 'a_b.example.com'],
  ['domain', 'xn--fa-hia.de', 'xn--fa-hia.de'],
  ['domain', 'XN--FA-HIA.DE', 'xn--fa-hia.de'],
  ['domain', 'faß.de', 'xn--fa-hia.de'],
  ['domain', 'straße.de', 'xn--strae-oqa.de'],
  ['domain', 'bücher.example', 'xn--bcher-kva.example'],
  ['domain', 'BÜCHER.example', 'xn--bcher-kva.example'],
  ['domain', 'münchen.de', 'xn--mnchen-3ya.de'],
  ['domain', 'раypal.com', 'xn--ypal-43d9g.com'], // Cyrillic р, а + Latin: homograph → punycode
  ['domain', 'аpple.com', 'xn--pple-43d.com'], // Cyrillic а
  ['domain', 'gооgle.com', 'xn--ggle-55da.com'], // Cyrillic о о
  ['domain', 'paypal.соm', 'paypal.xn--m-0tbi'], // Cyrillic TLD lookalike
  ['domain', 'пример.рф', 'xn--e1afmkfd.xn--p1ai'],
  ['domain', 'αβγ.gr', 'xn--mxacd.gr'],
  ['domain', '例え.テスト', 'xn--r8jz45g.xn--zckzah'],
  ['domain', '例え。テスト', 'xn--r8jz45g.xn--zckzah'],
  ['domain', '例子.中国', 'xn--fsqu00a.xn--fiqs8s'],
  ['domain', 'ｅｘａｍｐｌｅ.com', 'example.com'], // full-width Latin is mapped by UTS #46
  ['domain', 'EXAMPLE．COM', 'example.com'], // full-width full stop
  ['domain', 'xn--ls8h.la', 'xn--ls8h.la'],
  ['domain', '💩.la', 'xn--ls8h.la'],
  ['domain', `${LABEL63}.com`, `${LABEL63}.com`],
  ['domain', DOMAIN_253, DOMAIN_253],
  ['domain', `${DOMAIN_253}.`, DOMAIN_253],
  ['domain', 'localhost.localdomain', 'localhost.localdomain'],
  ['domain', 'evil[.]example[.]com', 'evil.example.com'],
  // --- url ------------------------------------------------------------------------------------
  ['url', 'http://example.com', 'http://example.com'],
  ['url', 'HTTP://EXAMPLE.COM', 'http://example.com'],
  ['url', 'http://Example.com', 'http://example.com'],
  ['url', 'hxxp://example[.]com', 'http://example.com'],
  ['url', 'hXXp://example[.]com/', 'http://example.com/'],
  ['url', 'hxxps://evil[.]com/path', 'https://evil.com/path'],
  ['url', 'fxp://files[.]example[.]com/x', 'ftp://files.example.com/x'],
  ['url', 'http[://]example.com', 'http://example.com'],
  ['url', 'hxxp[://]evil[.]com', 'http://evil.com'],
  ['url', 'hxxp[:]//evil[.]com', 'http://evil.com'],
  ['url', 'hxxp://evil(.)com/a(.)php', 'http://evil.com/a(.)php'],
  ['url', 'http://example.com:80/', 'http://example.com/'],
  ['url', 'https://example.com:443/a', 'https://example.com/a'],
  ['url', 'ftp://example.com:21/file', 'ftp://example.com/file'],
  ['url', 'http://example.com:8080/', 'http://example.com:8080/'],
  ['url', 'https://example.com:80/', 'https://example.com:80/'],
  ['url', 'http://example.com:443/', 'http://example.com:443/'],
  ['url', 'http://example.com:080/', 'http://example.com/'],
  ['url', 'http://example.com:08080/', 'http://example.com:8080/'],
  ['url', 'http://example.com:/', 'http://example.com/'],
  ['url', 'http://Example.COM/Path/To/File.EXE', 'http://example.com/Path/To/File.EXE'],
  ['url', 'http://example.com/a/../b/./c', 'http://example.com/a/../b/./c'],
  ['url', 'http://example.com/%7Efoo/%2e%2e/', 'http://example.com/%7Efoo/%2e%2e/'],
  ['url', 'http://example.com/%00', 'http://example.com/%00'],
  ['url', 'http://example.com/?q=1&r=2#frag', 'http://example.com/?q=1&r=2#frag'],
  ['url', 'http://example.com?q=1', 'http://example.com?q=1'],
  ['url', 'http://example.com#x', 'http://example.com#x'],
  ['url', 'http://user:pass@example.com/', 'http://user:pass@example.com/'],
  ['url', 'http://User@Example.com', 'http://User@example.com'],
  ['url', 'http://1.2.3.4/x', 'http://1.2.3.4/x'],
  ['url', 'http://1.2.3.4:8080/x', 'http://1.2.3.4:8080/x'],
  ['url', 'http://1.2.3.4./x', 'http://1.2.3.4/x'],
  ['url', 'http://[2001:DB8::1]/', 'http://[2001:db8::1]/'],
  ['url', 'https://[2001:db8:0:0:0:0:0:1]:443/x', 'https://[2001:db8::1]/x'],
  ['url', 'http://[::ffff:1.2.3.4]:8080/', 'http://[::ffff:1.2.3.4]:8080/'],
  ['url', 'http://bücher.example/über', 'http://xn--bcher-kva.example/über'],
  ['url', 'http://раypal.com/login', 'http://xn--ypal-43d9g.com/login'],
  ['url', 'http://example.com./', 'http://example.com/'],
  ['url', "http://example.com/it's", "http://example.com/it's"],
  ['url', "http://example.com/?q='%20OR%20'1'='1", "http://example.com/?q='%20OR%20'1'='1"],
  ['url', 'http://example.com/a\\b', 'http://example.com/a\\b'],
  ['url', 'https://en.wikipedia.org/wiki/Dot_(dot)', 'https://en.wikipedia.org/wiki/Dot_(dot)'],
  ['url', 'http://example.com/hxxp://x', 'http://example.com/hxxp://x'],
  ['url', 'http://_sub.example.com/', 'http://_sub.example.com/'],
  ['url', 'http://example.com/ünïcödé?q=ß', 'http://example.com/ünïcödé?q=ß'],
  [
    'url',
    'http://example.com/p?a=1;b=2&c[]=3',
    'http://example.com/p?a=1;b=2&c[]=3',
  ],
  ['url', LONG_PATH, LONG_PATH],
  // --- hashes ---------------------------------------------------------------------------------
  ['md5', MD5, MD5],
  ['md5', MD5.toUpperCase(), MD5],
  ['md5', ` ${MD5} `, MD5],
  ['md5', '0'.repeat(32), '0'.repeat(32)],
  ['md5', 'AbCdEf0123456789aBcDeF0123456789', 'abcdef0123456789abcdef0123456789'],
  ['sha1', SHA1, SHA1],
  ['sha1', SHA1.toUpperCase(), SHA1],
  ['sha1', 'f'.repeat(40), 'f'.repeat(40)],
  ['sha256', SHA256, SHA256],
  ['sha256', SHA256.toUpperCase(), SHA256],
  ['sha256', `\u2003${SHA256}`, SHA256],
  // --- cve ------------------------------------------------------------------------------------
  ['cve', 'CVE-2024-3094', 'CVE-2024-3094'],
  ['cve', 'cve-2024-3094', 'CVE-2024-3094'],
  ['cve', 'Cve-2021-44228', 'CVE-2021-44228'],
  ['cve', 'CVE-1999-0001', 'CVE-1999-0001'],
  ['cve', 'CVE-2100-1234', 'CVE-2100-1234'],
  ['cve', 'CVE-2014-0160', 'CVE-2014-0160'],
  ['cve', 'CVE-2024-12345', 'CVE-2024-12345'],
  ['cve', 'CVE-2024-1234567890123456789', 'CVE-2024-1234567890123456789'],
  // --- email ----------------------------------------------------------------------------------
  ['email', 'user@example.com', 'user@example.com'],
  ['email', 'User.Name@Example.COM', 'User.Name@example.com'],
  ['email', 'user+tag@example.com', 'user+tag@example.com'],
  ['email', 'first.last@sub.example.co.uk', 'first.last@sub.example.co.uk'],
  ['email', 'user(at)example(dot)com', 'user@example.com'],
  ['email', 'user[@]example[.]com', 'user@example.com'],
  ['email', 'user[at]example[dot]com', 'user@example.com'],
  ['email', "o'brien@example.com", "o'brien@example.com"],
  ['email', "admin'--@example.com", "admin'--@example.com"], // legal atext; storage must parameterize
  ['email', "a!#$%&'*+/=?^_`{|}~-b@example.com", "a!#$%&'*+/=?^_`{|}~-b@example.com"],
  ['email', 'x@a.b', 'x@a.b'],
  ['email', 'user@bücher.example', 'user@xn--bcher-kva.example'],
  ['email', 'user@раypal.com', 'user@xn--ypal-43d9g.com'],
  ['email', 'user@example.com.', 'user@example.com'],
  ['email', 'user@[1.2.3.4]', 'user@[1.2.3.4]'],
  ['email', 'user@[IPv6:2001:DB8::1]', 'user@[IPv6:2001:db8::1]'],
  ['email', 'user@[ipv6:0:0:0:0:0:0:0:1]', 'user@[IPv6:::1]'],
  ['email', `${LOCAL64}@example.com`, `${LOCAL64}@example.com`],
  ['email', 'bounce@_spf.example.com', 'bounce@_spf.example.com'],
  ['email', 'UPPER@EXAMPLE.COM', 'UPPER@example.com'],
];

const REJECTED: readonly Rejected[] = [
  // --- hostile / malformed input, any type ----------------------------------------------------
  ['domain', '', 'empty value'],
  ['url', '', 'empty value'],
  ['email', '', 'empty value'],
  ['md5', '', 'empty value'],
  ['cve', '', 'empty value'],
  ['ipv4', '   ', 'empty value'],
  ['ipv6', '\u3000', 'empty value'],
  ['domain', '\t', 'control character U+0009 (TAB)'],
  ['domain', '\n', 'control character U+000A (LF)'],
  ['domain', 'example.com\n', 'control character U+000A (LF)'],
  ['domain', '\nexample.com', 'control character U+000A (LF)'],
  ['domain', 'example.com\r\n', 'control character U+000D (CR)'],
  ['domain', 'exa\u0000mple.com', 'control character U+0000 (NUL)'],
  ['domain', 'example.com\u0000', 'control character U+0000 (NUL)'],
  ['ipv4', '1.2.3.4\u0000', 'control character U+0000 (NUL)'],
  ['url', 'http://example.com/\u0000', 'control character U+0000 (NUL)'],
  ['domain', '\u007f', 'control character U+007F (DEL)'],
  ['domain', 'exa\u0085mple.com', 'control character U+0085'],
  ['domain', 'exa\u009bmple.com', 'control character U+009B'],
  ['domain', '\u001b[31mevil.com', 'control character U+001B (ESC)'],
  ['domain', 'exa\u200bmple.com', 'invisible format character U+200B'],
  ['domain', 'exa\u200cmple.com', 'invisible format character U+200C'],
  ['domain', 'exa\u200dmple.com', 'invisible format character U+200D'],
  ['domain', 'exa\u00admple.com', 'invisible format character U+00AD'],
  ['domain', 'exa\u2060mple.com', 'invisible format character U+2060'],
  ['domain', 'exa\ufeffmple.com', 'whitespace U+FEFF'],
  ['url', 'http://evil\u202ecom.exe/', 'invisible format character U+202E'],
  ['md5', `${MD5.slice(0, 16)}\u200b${MD5.slice(16)}`, 'invisible format character U+200B'],
  ['domain', 'раypal\u200b.com', 'invisible format character U+200B'],
  ['domain', 'example\u00a0.com', 'whitespace U+00A0'],
  ['domain', 'example\u3000com', 'whitespace U+3000'],
  ['domain', '\ud800.com', 'unpaired UTF-16 surrogate'],
  ['domain', ONE_MB, 'value too long (1048576 characters, max 8192)'],
  ['url', `http://example.com/${ONE_MB}`, 'value too long'],
  ['ipv4', ONE_MB, 'value too long'],
  ['ipv6', ':'.repeat(1024 * 1024), 'value too long'],
  ['email', `${ONE_MB}@example.com`, 'value too long'],
  ['md5', ONE_MB, 'value too long'],
  ['sha256', '\u0000'.repeat(1024 * 1024), 'value too long'],
  ['cve', ` ${ONE_MB} `, 'value too long'],
  ['url', `${LONG_PATH}x`, 'value too long (8193 characters, max 8192)'],
  ['domain', "' OR '1'='1", 'whitespace U+0020'],
  ['url', "' OR '1'='1", 'whitespace'],
  ['email', "' OR '1'='1", 'whitespace'],
  ['ipv4', "'OR'1'='1", 'expected 4 dotted decimal octets'],
  ['md5', "'OR'1'='1", 'invalid character'],
  ['cve', "'; DROP TABLE iocs; --", 'whitespace'],
  ['domain', "';DROP--.com", 'invalid character "\'"'],
  ['domain', "exa'mple.com", 'invalid character "\'"'],
  ['domain', 'exa\\mple.com', 'invalid character "\\"'],
  ['domain', 'exa"mple.com', 'invalid character'],
  ['domain', '<script>.com', 'invalid character "<"'],
  ['domain', '../../etc/passwd', 'invalid character "/"'],
  ['domain', '%00', 'invalid character "%"'],
  ['domain', 'example.com%00', 'invalid character "%"'],
  ['domain', 'ex%61mple.com', 'invalid character "%"'],
  // --- ipv4 -----------------------------------------------------------------------------------
  ['ipv4', '01.2.3.4', 'leading zero is ambiguous (octal)'],
  ['ipv4', '1.2.3.04', 'leading zero is ambiguous (octal)'],
  ['ipv4', '00.0.0.0', 'leading zero is ambiguous (octal)'],
  ['ipv4', '0177.0.0.1', 'leading zero is ambiguous (octal)'],
  ['ipv4', '999.1.1.1', 'octet out of range'],
  ['ipv4', '256.0.0.1', 'octet out of range'],
  ['ipv4', '1.2.3.256', 'octet out of range'],
  ['ipv4', '1.2.3.1000', 'octet out of range'],
  ['ipv4', '1.2.3', 'expected 4 dotted decimal octets, got 3'],
  ['ipv4', '127.1', 'expected 4 dotted decimal octets, got 2'],
  ['ipv4', '2130706433', 'expected 4 dotted decimal octets, got 1'],
  ['ipv4', '0x7f000001', 'expected 4 dotted decimal octets, got 1'],
  ['ipv4', '1.2.3.4.5', 'expected 4 dotted decimal octets, got 5'],
  ['ipv4', '1.2.3.4.', 'expected 4 dotted decimal octets, got 5'],
  ['ipv4', '1..2.3', 'empty octet'],
  ['ipv4', '0x7f.0.0.1', 'hex octet "0x7f" is not allowed'],
  ['ipv4', '1e2.0.0.1', 'invalid octet "1e2"'],
  ['ipv4', '-1.2.3.4', 'invalid octet "-1"'],
  ['ipv4', '+1.2.3.4', 'invalid octet "+1"'],
  ['ipv4', '１.２.３.４', 'invalid octet "１"'],
  ['ipv4', '1.2.3.4:99999', 'port "99999" out of range (0..65535)'],
  ['ipv4', '1.2.3.4:', 'invalid octet "4:"'],
  ['ipv4', '1.2.3.4:80:80', 'invalid octet "4:80:80"'],
  ['ipv4', '1.2.3.4:http', 'invalid octet "4:http"'],
  ['ipv4', '10.0.0.0/8:80', 'a network (CIDR) has no port'],
  ['ipv4', '10.0.0.1/24', 'host bits set, did you mean 10.0.0.0/24'],
  ['ipv4', '192.168.1.1/16', 'host bits set, did you mean 192.168.0.0/16'],
  ['ipv4', '1.2.3.4/0', 'host bits set, did you mean 0.0.0.0/0'],
  ['ipv4', '10.0.0.1/31', 'host bits set, did you mean 10.0.0.0/31'],
  ['ipv4', '1.2.3.4/33', 'prefix length /33 out of range (0..32)'],
  ['ipv4', '1.2.3.4/', 'invalid prefix length'],
  ['ipv4', '1.2.3.4/-1', 'invalid prefix length'],
  ['ipv4', '1.2.3.4/a', 'invalid prefix length'],
  ['ipv4', '1.2.3.4/24/24', 'invalid prefix length'],
  ['ipv4', '1.2.3.0/08', 'prefix length /08 has a leading zero'],
  ['ipv4', '1.2.3.4/1000', 'invalid prefix length'],
  ['ipv4', '::1', 'expected 4 dotted decimal octets'],
  ['ipv4', 'example.com', 'expected 4 dotted decimal octets'],
  ['ipv4', '1.2.3.4 5', 'whitespace'],
  // --- ipv6 -----------------------------------------------------------------------------------
  ['ipv6', '1:2:3:4:5:6:7:8:9', 'expected 8 groups, got 9'],
  ['ipv6', '1:2:3:4:5:6:7', 'expected 8 groups, got 7'],
  ['ipv6', '1:2', 'expected 8 groups, got 2'],
  ['ipv6', '1.2.3.4', 'expected 8 groups, got 2'],
  ['ipv6', '1::2::3', 'more than one "::"'],
  ['ipv6', '::1::', 'more than one "::"'],
  ['ipv6', ':::', 'empty group'],
  ['ipv6', ':1::2', 'empty group'],
  ['ipv6', '1:::2', 'empty group'],
  ['ipv6', '1:2:3:4:5:6:7:8::', 'too many groups (8)'],
  ['ipv6', '::1:2:3:4:5:6:7:8', 'too many groups (8)'],
  ['ipv6', '12345::1', 'group "12345" has more than 4 hex digits'],
  ['ipv6', 'g::1', 'invalid character "g"'],
  ['ipv6', '２００１:db8::1', 'invalid character "２" in IPv6 address'],
  ['ipv6', 'fe80::1%eth0', 'zone identifiers'],
  ['ipv6', '[fe80::1%25eth0]', 'zone identifiers'],
  ['ipv6', 'fe80::1%', 'zone identifiers'],
  ['ipv6', '2001:db8::1/32', 'host bits set, did you mean 2001:db8::/32'],
  ['ipv6', '2001:DB8::/16', 'host bits set, did you mean 2001::/16'],
  ['ipv6', '::ffff:1.2.3.4/96', 'host bits set, did you mean ::ffff:0.0.0.0/96'],
  ['ipv6', '2001:db8::/129', 'prefix length /129 out of range (0..128)'],
  ['ipv6', '2001:db8::/', 'invalid prefix length'],
  ['ipv6', '::/00', 'has a leading zero'],
  ['ipv6', '[2001:db8::1', 'unclosed "["'],
  ['ipv6', '[2001:db8::1]x', 'unexpected "x" after "]"'],
  ['ipv6', '[2001:db8::1]:x', 'invalid port "x"'],
  ['ipv6', '[2001:db8::1]:70000', 'port "70000" out of range (0..65535)'],
  ['ipv6', '[2001:db8::]/32:80', 'a network (CIDR) has no port'],
  ['ipv6', '[]', 'empty address'],
  ['ipv6', '::1.2.3', 'embedded IPv4 "1.2.3"'],
  ['ipv6', '::ffff:999.1.1.1', 'octet out of range'],
  ['ipv6', '::ffff:01.2.3.4', 'leading zero is ambiguous (octal)'],
  ['ipv6', '::1.2.3.4:5', 'must be the last 32 bits'],
  ['ipv6', '1.2.3.4::', 'must be the last 32 bits'],
  ['ipv6', 'example.com', 'invalid character "x"'],
  // --- domain ---------------------------------------------------------------------------------
  ['domain', 'example', 'at least two labels'],
  ['domain', 'localhost', 'at least two labels'],
  ['domain', 'example.', 'at least two labels'],
  ['domain', '.', 'empty domain'],
  ['domain', '..', 'empty label'],
  ['domain', '.example.com', 'empty label'],
  ['domain', 'example..com', 'empty label'],
  ['domain', 'example.com..', 'empty label'],
  ['domain', 'example.com。。', 'empty label'],
  ['domain', '-example.com', 'starts or ends with a hyphen'],
  ['domain', 'example-.com', 'starts or ends with a hyphen'],
  ['domain', 'example.-com', 'starts or ends with a hyphen'],
  ['domain', `a${LABEL63}.com`, 'label of 64 characters, max 63'],
  ['domain', `${'x'.repeat(5000)}.com`, 'domain is 5004 characters, max 253'],
  ['domain', DOMAIN_254, 'domain is 254 characters, max 253'],
  ['domain', 'example.123', 'top-level label is all-numeric'],
  ['domain', '1.2.3.4', 'top-level label is all-numeric'],
  ['domain', '１.２.３.４', 'top-level label is all-numeric'],
  ['domain', 'example.c_m', 'underscore in top-level label'],
  ['domain', 'exa mple.com', 'whitespace'],
  ['domain', 'exa!mple.com', 'invalid character "!"'],
  ['domain', '*.example.com', 'invalid character "*"'],
  ['domain', 'example.com/path', 'invalid character "/"'],
  ['domain', 'example.com:http', 'invalid character ":"'],
  ['domain', 'example.com:80:80', 'invalid character ":"'],
  ['domain', 'example.com:65536', 'port "65536" out of range (0..65535)'],
  ['domain', 'user@example.com', 'invalid character "@"'],
  ['domain', 'http://example.com', 'invalid character ":"'],
  ['domain', 'xn--zz.com', 'invalid punycode'],
  ['domain', 'xn--.com', 'invalid punycode'],
  ['domain', '⒈com', 'not a valid internationalized domain name'],
  ['domain', 'a／b.com', 'not a valid internationalized domain name'],
  ['domain', '\u0000'.repeat(10), 'control character U+0000'],
  // --- url ------------------------------------------------------------------------------------
  ['url', 'example.com', 'missing scheme'],
  ['url', '//example.com', 'missing scheme'],
  ['url', 'javascript:alert(1)', 'unsupported scheme "javascript"'],
  ['url', 'file:///etc/passwd', 'unsupported scheme "file"'],
  ['url', 'mailto:a@b.com', 'unsupported scheme "mailto"'],
  ['url', 'data:text/html,x', 'unsupported scheme "data"'],
  ['url', 'gopher://example.com/', 'unsupported scheme "gopher"'],
  ['url', 'http:example.com', 'missing "//" after "http:"'],
  ['url', 'http:/example.com', 'missing "//" after "http:"'],
  ['url', 'http://', 'empty host'],
  ['url', 'http:///path', 'empty host'],
  ['url', 'http://:80/', 'empty host'],
  ['url', 'http://user@/', 'empty host'],
  ['url', 'http://exa mple.com/', 'whitespace U+0020'],
  ['url', 'http://example.com/a b', 'whitespace U+0020'],
  ['url', 'http://example.com/\n', 'control character U+000A (LF)'],
  ['url', 'http://example.com/\u0085', 'control character U+0085'],
  ['url', 'hxxp://exa mple[.]com', 'whitespace'],
  ['url', 'http://evil.com\\@good.com/', 'backslash in authority'],
  ['url', 'http://999.1.1.1/', 'host "999.1.1.1": octet out of range'],
  ['url', 'http://01.2.3.4/', 'host "01.2.3.4": leading zero is ambiguous (octal)'],
  ['url', 'http://0x7f.1/', 'expected 4 dotted decimal octets, got 2'],
  ['url', 'http://127.1/', 'expected 4 dotted decimal octets, got 2'],
  ['url', 'http://2130706433/', 'expected 4 dotted decimal octets, got 1'],
  ['url', 'http://a.b.c.d.e.123/', 'expected 4 dotted decimal octets, got 6'],
  ['url', 'http://[2001:db8::1/', 'unclosed "[" in host'],
  ['url', 'http://[2001:db8::1]x/', 'unexpected "x" after "]"'],
  ['url', 'http://2001:db8::1/', 'an IPv6 host must be in brackets'],
  ['url', 'http://[fe80::1%25eth0]/', 'zone identifiers'],
  ['url', 'http://[v1.x]/', 'IPvFuture'],
  ['url', 'http://[1::2::3]/', 'more than one "::"'],
  ['url', 'http://[2001:db8::/32]/', 'unclosed "["'],
  ['url', 'http://[fe80::1%eth0]/', 'zone identifiers'],
  ['url', 'http://[::g]/', 'invalid character "g" in IPv6 address'],
  ['url', 'http://example.com:99999/', 'port "99999" out of range'],
  ['url', 'http://example.com:8o/', 'invalid port "8o"'],
  ['url', 'http://example.com:-1/', 'invalid port "-1"'],
  ['url', 'http://[::1]:80:80/', 'invalid port "80:80"'],
  ['url', 'http://-example.com/', 'starts or ends with a hyphen'],
  ['url', 'http://exa_mple.c_m/', 'underscore in top-level label'],
  ['url', 'http://example/', 'at least two labels'],
  ['url', 'http://ex%61mple.com/', 'invalid character "%"'],
  ['url', 'http://xn--zz.com/', 'invalid punycode'],
  ['url', 'http://exa\u200bmple.com/', 'invisible format character U+200B'],
  ['url', `http://${LABEL63}b.com/`, 'label of 64 characters'],
  // --- hashes ---------------------------------------------------------------------------------
  ['md5', MD5.slice(1), 'expected 32 hex characters for MD5, got 31'],
  ['md5', `${MD5}0`, 'expected 32 hex characters for MD5, got 33'],
  ['md5', SHA1, 'expected 32 hex characters for MD5, got 40'],
  ['md5', `g${MD5.slice(1)}`, 'invalid character "g"'],
  ['md5', `0x${MD5}`, 'invalid character "x"'],
  ['md5', '１'.repeat(32), 'invalid character "１"'],
  ['md5', `${MD5.slice(0, 16)}-${MD5.slice(16)}`, 'invalid character "-"'],
  ['sha1', MD5, 'expected 40 hex characters for SHA-1, got 32'],
  ['sha1', `${SHA1.slice(0, 20)} ${SHA1.slice(20)}`, 'whitespace'],
  ['sha1', SHA1.replace('a', 'z'), 'invalid character "z"'],
  ['sha256', SHA256.slice(1), 'expected 64 hex characters for SHA-256, got 63'],
  ['sha256', `${SHA256}${SHA256}`, 'expected 64 hex characters for SHA-256, got 128'],
  ['sha256', `sha256:${SHA256}`, 'invalid character "s"'],
  // --- cve ------------------------------------------------------------------------------------
  ['cve', 'CVE-24-1234', 'year "24" must have 4 digits'],
  ['cve', 'CVE-1998-1234', 'year 1998 out of range (1999..2100)'],
  ['cve', 'CVE-2101-0001', 'year 2101 out of range'],
  ['cve', 'CVE-0000-0000', 'year 0000 out of range'],
  ['cve', 'CVE-2024-123', 'sequence number needs at least 4 digits'],
  ['cve', 'CVE-2024-12345678901234567890', 'sequence number has 20 digits, max 19'],
  ['cve', 'CVE_2024_1234', 'expected CVE-YYYY-NNNN'],
  ['cve', 'CVE-2024', 'expected CVE-YYYY-NNNN'],
  ['cve', '2024-1234', 'expected CVE-YYYY-NNNN'],
  ['cve', 'CVE-2024-1234a', 'expected CVE-YYYY-NNNN'],
  ['cve', 'CVE-２０２４-1234', 'expected CVE-YYYY-NNNN'],
  ['cve', 'CVE 2024 1234', 'whitespace'],
  ['cve', 'CVE-2024--1234', 'expected CVE-YYYY-NNNN'],
  // --- email ----------------------------------------------------------------------------------
  ['email', 'user', 'missing "@"'],
  ['email', '@example.com', 'empty local part'],
  ['email', 'user@', 'empty domain'],
  ['email', 'user@@example.com', 'more than one "@"'],
  ['email', 'a@b@example.com', 'more than one "@"'],
  ['email', '.user@example.com', 'leading, trailing or double dot'],
  ['email', 'user.@example.com', 'leading, trailing or double dot'],
  ['email', 'us..er@example.com', 'leading, trailing or double dot'],
  ['email', '"quoted"@example.com', 'invalid character """ in local part'],
  ['email', 'user name@example.com', 'whitespace'],
  ['email', 'üser@example.com', 'invalid character "ü" in local part'],
  ['email', 'user(comment)@example.com', 'invalid character "(" in local part'],
  ['email', 'user\\@example.com', 'invalid character "\\" in local part'],
  ['email', 'user@example', 'at least two labels'],
  ['email', 'user@-example.com', 'starts or ends with a hyphen'],
  ['email', 'user@example..com', 'empty label'],
  ['email', "user@example.com'", 'invalid character "\'" in domain'],
  ['email', 'user@exa_mple.c_m', 'underscore in top-level label'],
  ['email', 'user@[1.2.3]', 'address literal: expected 4 dotted decimal octets'],
  ['email', 'user@[999.1.1.1]', 'address literal: octet out of range'],
  ['email', 'user@[1.2.3.4', 'unclosed "[" in address literal'],
  ['email', 'user@[IPv6:1::2::3]', 'address literal: more than one "::"'],
  ['email', `l${LOCAL64}@example.com`, 'local part is 65 characters, max 64'],
  ['email', `${LOCAL64}@${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.com`, 'characters, max 254 (RFC 5321'],
  ['email', 'user@exa\u200bmple.com', 'invisible format character U+200B'],
];

/** [input, detected type or undefined] */
const DETECTED: ReadonlyArray<readonly [string, IocType | undefined]> = [
  ['CVE-2024-3094', 'cve'],
  ['cve-1800-1234', 'cve'],
  [MD5, 'md5'],
  [MD5.toUpperCase(), 'md5'],
  [SHA1, 'sha1'],
  [SHA256, 'sha256'],
  ['http://example.com', 'url'],
  ['hxxp://example[.]com', 'url'],
  ['HTTPS://x.y/z', 'url'],
  ['javascript://alert(1)', 'url'],
  ['user@example.com', 'email'],
  ['user(at)example(dot)com', 'email'],
  ['1.2.3.4', 'ipv4'],
  ['10.0.0.0/8', 'ipv4'],
  ['1[.]2[.]3[.]4', 'ipv4'],
  ['999.1.1.1', 'ipv4'],
  ['0x7f.0.0.1', 'ipv4'],
  ['1.2.3', 'ipv4'],
  ['::', 'ipv6'],
  ['::1', 'ipv6'],
  ['1::', 'ipv6'],
  ['2001:db8::/32', 'ipv6'],
  ['[2001:db8::1]', 'ipv6'],
  ['fe80::1%eth0', 'ipv6'],
  ['::ffff:1.2.3.4', 'ipv6'],
  ['example.com', 'domain'],
  ['Example.COM.', 'domain'],
  ['раypal.com', 'domain'],
  ['例え。テスト', 'domain'],
  ['cve-2024-3094.evil.com', 'domain'],
  [`${MD5}.com`, 'domain'],
  ['example.com:8080', 'domain'],
  ['1.2.3.4:443', 'ipv4'],
  ['1[.]2[.]3[.]4:443', 'ipv4'],
  ['[2001:db8::1]:443', 'ipv6'],
  ['', undefined],
  ['   ', undefined],
  ['example', undefined],
  ['deadbeef', undefined],
  ['12345', undefined],
  ['a:b', undefined],
  ["' OR '1'='1", undefined],
  ["'OR'1'='1", undefined],
  ['exa\u200bmple.com', undefined],
  ['example.com\n', undefined],
  ['\u0000', undefined],
  [ONE_MB, undefined],
];

function assertRejected(result: ReturnType<typeof normalize>, input: string, mentions: string): void {
  assert.equal(result.ok, false, `expected rejection, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  const prefix = `${displayValue(input)}: `;
  assert.ok(displayValue(input).length > 0, 'shown value is never empty');
  assert.ok(displayValue(input).length <= 80, 'shown value is at most 80 characters');
  assert.ok(result.reason.startsWith(prefix), `reason ${JSON.stringify(result.reason)} should start with ${JSON.stringify(prefix)}`);
  const why = result.reason.slice(prefix.length);
  assert.ok(why.length > 0, 'reason names the problem');
  assert.ok(why.includes(mentions), `reason ${JSON.stringify(result.reason)} should mention ${JSON.stringify(mentions)}`);
}

function label(input: string): string {
  const shown = JSON.stringify(input);
  return shown.length > 70 ? `${shown.slice(0, 60)}…(${input.length} chars)` : shown;
}

describe('normalize: accepted values', () => {
  for (const [type, input, canonical] of ACCEPTED) {
    it(`${type} ${label(input)} → ${label(canonical)}`, () => {
      assert.deepEqual(normalize(type, input), { ok: true, type, value: canonical });
    });
  }
});

describe('normalize: idempotence and detection of canonical values', () => {
  for (const [type, input] of ACCEPTED) {
    it(`${type} ${label(input)}`, () => {
      const first = normalize(type, input);
      assert.ok(first.ok);
      assert.deepEqual(normalize(type, first.value), first);
      assert.equal(detectType(first.value), type, 'a canonical value is detected as its own type');
      assert.deepEqual(normalizeAny(first.value), first);
    });
  }
});

describe('normalize: rejected values', () => {
  for (const [type, input, mentions] of REJECTED) {
    it(`${type} ${label(input)} (${mentions})`, () => {
      assertRejected(normalize(type, input), input, mentions);
      assertRejected(normalizeAny(input, type), input, mentions);
    });
  }
});

describe('detectType', () => {
  for (const [input, expected] of DETECTED) {
    it(`${label(input)} → ${String(expected)}`, () => {
      assert.equal(detectType(input), expected);
    });
  }
});

describe('normalizeAny', () => {
  it('detects then normalizes', () => {
    assert.deepEqual(normalizeAny('hxxps://Evil[.]COM:443/x'), { ok: true, type: 'url', value: 'https://evil.com/x' });
    assert.deepEqual(normalizeAny(' cve-2024-3094 '), { ok: true, type: 'cve', value: 'CVE-2024-3094' });
    assert.deepEqual(normalizeAny('2001:0db8::0001'), { ok: true, type: 'ipv6', value: '2001:db8::1' });
  });

  it('uses the given type instead of detecting', () => {
    assert.deepEqual(normalizeAny(MD5, 'md5'), { ok: true, type: 'md5', value: MD5 });
    assertRejected(normalizeAny('example.com', 'ipv4'), 'example.com', 'expected 4 dotted decimal octets');
  });

  it('explains an undetectable value', () => {
    assertRejected(normalizeAny('example'), 'example', 'cannot detect the IOC type');
    assertRejected(normalizeAny("'OR'1'='1"), "'OR'1'='1", 'cannot detect the IOC type');
  });

  it('reports the pre-check problem rather than "undetectable"', () => {
    assertRejected(normalizeAny(''), '', 'empty value');
    assertRejected(normalizeAny('exa\u0000mple.com'), 'exa\u0000mple.com', 'U+0000 (NUL)');
    assertRejected(normalizeAny(ONE_MB), ONE_MB, 'value too long');
  });

  it('gives a type-specific reason for a detected but invalid value', () => {
    assertRejected(normalizeAny('999.1.1.1'), '999.1.1.1', 'octet out of range');
    assertRejected(normalizeAny('CVE-1800-1234'), 'CVE-1800-1234', 'year 1800 out of range');
    assertRejected(normalizeAny('1::2::3'), '1::2::3', 'more than one "::"');
    assertRejected(normalizeAny('fe80::1%eth0'), 'fe80::1%eth0', 'zone identifiers');
  });
});

describe('rejection reasons', () => {
  it('use the exact format "<value>: <why>"', () => {
    assert.deepEqual(normalize('ipv4', '999.1.1.1'), { ok: false, reason: '999.1.1.1: octet out of range' });
    assert.deepEqual(normalize('ipv4', '01.2.3.4'), { ok: false, reason: '01.2.3.4: leading zero is ambiguous (octal)' });
    assert.deepEqual(normalize('ipv4', '10.0.0.1/24'), {
      ok: false,
      reason: '10.0.0.1/24: host bits set, did you mean 10.0.0.0/24',
    });
  });

  it('shorten long values to 80 characters ending in "…"', () => {
    const result = normalize('domain', ONE_MB);
    assert.ok(!result.ok);
    const shown = result.reason.slice(0, result.reason.indexOf(': '));
    assert.equal(shown.length, 80);
    assert.equal(shown, `${'a'.repeat(79)}…`);
    assert.equal(displayValue('a'.repeat(80)), 'a'.repeat(80));
    assert.equal(displayValue('a'.repeat(81)), `${'a'.repeat(79)}…`);
  });

  it('escape control and invisible characters', () => {
    assert.equal(displayValue('a\u0000b\nc\td\u007f\u0085\u200b\u202e'), 'a\\u0000b\\nc\\td\\u007f\\u0085\\u200b\\u202e');
    assert.equal(displayValue(''), '""');
    assert.equal(displayValue('  '), '"  "');
    assert.equal(displayValue("it's a\\b"), "it's a\\b");
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(displayValue(`${'\u0000'.repeat(200)}x`)));
    assert.ok(displayValue('\u0000'.repeat(200)).length <= 80);
  });

  it('do not split a surrogate pair or an escape when shortening', () => {
    const shown = displayValue('💩'.repeat(100));
    assert.ok(shown.length <= 80);
    assert.equal(shown, `${'💩'.repeat(39)}…`);
    const escapes = displayValue('\u0001'.repeat(100));
    assert.equal(escapes, `${'\\u0001'.repeat(13)}…`);
  });
});

describe('never throws, never hangs', () => {
  const hostile: readonly string[] = [
    ONE_MB,
    ` ${'x'.repeat(MAX_VALUE_LENGTH - 2)} `,
    '[.]'.repeat(Math.floor(MAX_VALUE_LENGTH / 3)),
    '(dot)'.repeat(Math.floor(MAX_VALUE_LENGTH / 5)),
    ':'.repeat(MAX_VALUE_LENGTH),
    '::'.repeat(MAX_VALUE_LENGTH / 2),
    '1:'.repeat(MAX_VALUE_LENGTH / 2),
    '1.'.repeat(MAX_VALUE_LENGTH / 2),
    'a.'.repeat(MAX_VALUE_LENGTH / 2),
    'a-'.repeat(MAX_VALUE_LENGTH / 2),
    '@'.repeat(MAX_VALUE_LENGTH),
    `a@${'b.'.repeat(4000)}com`,
    `http://${'@'.repeat(MAX_VALUE_LENGTH - 7)}`,
    `http://[${':'.repeat(MAX_VALUE_LENGTH - 8)}`,
    `http://${'a'.repeat(MAX_VALUE_LENGTH - 7)}`,
    `http://${'1.'.repeat(4000)}1/`,
    `${'a'.repeat(MAX_VALUE_LENGTH - 1)}:`,
    `CVE-${'1'.repeat(MAX_VALUE_LENGTH - 4)}`,
    `CVE-2024-${'1'.repeat(MAX_VALUE_LENGTH - 9)}`,
    '0x'.repeat(MAX_VALUE_LENGTH / 2),
    '/'.repeat(MAX_VALUE_LENGTH),
    '1.2.3.4/'.repeat(MAX_VALUE_LENGTH / 8),
    '[['.repeat(MAX_VALUE_LENGTH / 2),
    'ä'.repeat(MAX_VALUE_LENGTH),
    `${'ä'.repeat(4000)}.com`,
    `${'ä.'.repeat(4000)}com`,
    '💩'.repeat(MAX_VALUE_LENGTH / 2),
    '\ud800'.repeat(MAX_VALUE_LENGTH),
    'hxxp'.repeat(MAX_VALUE_LENGTH / 4),
    'a'.repeat(MAX_VALUE_LENGTH + 1),
  ];

  for (const [i, input] of hostile.entries()) {
    // Their times are printed by bench/worst-case.ts (and bench/fuzz.ts at n and 8n); here, only the answers.
    it(`hostile input #${i} ${label(input)}`, () => {
      for (const type of IOC_TYPES) {
        const result = normalize(type, input);
        assert.equal(typeof result.ok, 'boolean');
        if (!result.ok) assert.ok(result.reason.length > 0 && result.reason.length < 1000);
      }
      detectType(input);
      normalizeAny(input);
    });
  }

  it('rejects a 1 MB value by its length, before any other work (bench/worst-case.ts prints the time per call)', () => {
    const result = normalize('url', ONE_MB);
    assert.ok(!result.ok && /: value too long \(1048576 characters, max 8192\)$/.test(result.reason), JSON.stringify(result).slice(0, 200));
  });

  it('survives wrong runtime types from JavaScript callers', () => {
    const loose = normalize as (type: unknown, raw: unknown) => ReturnType<typeof normalize>;
    assert.equal(loose('domain', undefined).ok, false);
    assert.equal(loose('domain', 42).ok, false);
    assert.equal(loose('nonsense', 'example.com').ok, false);
    assert.equal(loose(undefined, 'example.com').ok, false);
    assert.equal(detectType(null as unknown as string), undefined);
  });
});

describe('table sizes', () => {
  it('covers at least 150 accepted and 150 rejected cases', () => {
    assert.ok(ACCEPTED.length >= 150, `accepted: ${ACCEPTED.length}`);
    assert.ok(REJECTED.length >= 150, `rejected: ${REJECTED.length}`);
    const acceptedTypes = new Set(ACCEPTED.map(([type]) => type));
    const rejectedTypes = new Set(REJECTED.map(([type]) => type));
    for (const type of IOC_TYPES) {
      assert.ok(acceptedTypes.has(type), `no accepted ${type}`);
      assert.ok(rejectedTypes.has(type), `no rejected ${type}`);
    }
  });
});
