import type { SourceDefinition } from '../source-definition.js';
import { urlhaus } from './urlhaus.js';
import { threatfox } from './threatfox.js';
import { malwarebazaar } from './malwarebazaar.js';
import { feodo } from './feodo.js';
import { sslbl } from './sslbl.js';
import { cisaKev } from './cisa-kev.js';
import { nvd } from './nvd.js';
import { epss } from './epss.js';
import { icsAdvisories } from './ics-advisories.js';
import { spamhausDrop } from './spamhaus-drop.js';
import { dshield } from './dshield.js';
import { blocklistDe } from './blocklist-de.js';
import { cinsArmy } from './cins-army.js';
import { etCompromised } from './et-compromised.js';
import { fireholLevel1 } from './firehol-level1.js';
import { ipsum } from './ipsum.js';
import { greensnow } from './greensnow.js';
import { bruteforceblocker } from './bruteforceblocker.js';
import { dataplaneSshpwauth } from './dataplane-sshpwauth.js';
import { torExits } from './tor-exits.js';
import { abuseipdb } from './abuseipdb.js';
import { binarydefense } from './binarydefense.js';
import { turrisGreylist } from './turris-greylist.js';
import { c2Tracker } from './c2-tracker.js';
import { threatviewIp } from './threatview-ip.js';
import { openphish } from './openphish.js';
import { phishtank } from './phishtank.js';
import { phishstats } from './phishstats.js';
import { certpl } from './certpl.js';
import { phishingArmy } from './phishing-army.js';
import { redFlagDomains } from './red-flag-domains.js';
import { vxvault } from './vxvault.js';
import { viriback } from './viriback.js';
import { stopforumspam } from './stopforumspam.js';
import { otx } from './otx.js';
import { circlOsint } from './circl-osint.js';
import { botvrij } from './botvrij.js';
import { digitalside } from './digitalside.js';
import { tweetfeed } from './tweetfeed.js';
import { malshare } from './malshare.js';

/** The catalog (docs/sources.md §1), in its order: abuse.ch, vulnerabilities, IP reputation, phishing/URLs/domains, multi-type. */
export const CATALOG: readonly SourceDefinition[] = [
  urlhaus,
  threatfox,
  malwarebazaar,
  feodo,
  sslbl,
  cisaKev,
  nvd,
  epss,
  icsAdvisories,
  spamhausDrop,
  dshield,
  blocklistDe,
  cinsArmy,
  etCompromised,
  fireholLevel1,
  ipsum,
  greensnow,
  bruteforceblocker,
  dataplaneSshpwauth,
  torExits,
  abuseipdb,
  binarydefense,
  turrisGreylist,
  c2Tracker,
  threatviewIp,
  openphish,
  phishtank,
  phishstats,
  certpl,
  phishingArmy,
  redFlagDomains,
  vxvault,
  viriback,
  stopforumspam,
  otx,
  circlOsint,
  botvrij,
  digitalside,
  tweetfeed,
  malshare,
];
