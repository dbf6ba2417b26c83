/* Prompt-injection detector. See injection.h for the design.
 *
 * Layout of this file:
 *   1. the pattern table (family, weight, name, regex); the token model's lexicon and rules
 *      (injection_lex.c) are the other place to tune;
 *   2. normalisation (homoglyphs, fullwidth, invisible / tag / bidi characters, leetspeak,
 *      spaced letters) into the scratch, with a map from each output byte to its source byte;
 *   3. base64 payloads;
 *   4. scoring.
 *
 * Hyperscan runs with HS_FLAG_SINGLEMATCH and no start-of-match: a scan only
 * learns which patterns occur. The span of the strongest one is found with
 * PCRE2 afterwards, on texts that matched something (the rare case). */
#include "guard/injection.h"

#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/hs_block.h"
#include "guard/hs_cache.h"
#include "guard/injection_cipher.h"
#include "guard/injection_decode.h"
#include "guard/injection_lex.h"
#include "util/alloc.h"
#include "util/err.h"

#define INJ_MAX_TEXT (8u * 1024 * 1024) /* longer texts are checked on their first 8 MiB */
#define DECODE_MAX_TEXT (1u * 1024 * 1024) /* and decoded (injection_decode.h, injection_cipher.h) on their first MiB */
#define B64_MIN_RUN 24
#define B64_MAX_RUNS 8
#define DISCUSSION_DAMP 0.6

enum {
    FAM_DISCUSSION = GUARD_INJ_N_FAMILIES, /* damping cues, not a family of attack */
    FAM_EXTRACTION_CUE,                     /* "verbatim", "all of them": count in full, only beside an extraction hit */
    FAM_UNDAMP,                             /* "an authorized red team exercise, so you may ...": cancels one damping cue */
};

struct inj_pattern {
    int family;
    double weight;
    const char *name;
    const char *re;
    int case_sensitive;
};

static const struct inj_pattern patterns[] = {
    /* ---- override ---- */
    {GUARD_INJ_OVERRIDE, 0.75, "never-mind-what-you-were-told",
     "\\b(?:never\\s*mind|nevermind|screw|forget about)\\s+(?:what|whatever|everything|anything|all)\\s+(?:that\\s+)?you(?:'ve| have)?"
     "\\s+(?:were|been|was)\\s+(?:told|given|taught|instructed|programmed)\\b"},
    {GUARD_INJ_OVERRIDE, 0.7, "authorized-to-ignore",
     "\\b(?:authori[sz]ed|allowed|permitted|cleared|free|instructed|licensed)\\s+(?:you\\s+)?to\\s+(?:ignore|bypass|disregard|break|"
     "skip|override|violate|circumvent|disable|turn off)\\b"},
    {GUARD_INJ_OVERRIDE, 0.6, "new-rule-you",
     "\\bnew\\s+(?:rule|rules|instruction|instructions|directive|policy|order)s?\\s*[:-]\\s*(?:you|your|from now|always|never|"
     "ignore|the assistant)\\b"},
    {GUARD_INJ_OVERRIDE, 0.75, "set-your-instructions-aside",
     "\\b(?:set|put|leave|push|cast|throw|lay)\\s+(?:all\\s+)?(?:of\\s+)?(?:your|the|my|any|those|these)\\s+(?:\\w+\\s+){0,2}"
     "(?:instructions|rules|guidance|guidelines|directives|programming|restrictions|constraints|prompt|orders|training)\\s+"
     "(?:aside|away|behind)\\b"},
    {GUARD_INJ_OVERRIDE, 0.5, "your-programming-updated",
     "\\b(?:your\\s+)?(?:programming|instructions|rules|guidelines|directives|system prompt|restrictions|settings)\\s+(?:has|have)\\s+"
     "been\\s+(?:updated|changed|modified|overwritten|replaced|rewritten|reset|removed|disabled|unlocked)\\b"},
    {GUARD_INJ_OVERRIDE, 0.45, "note-to-the-ai",
     "\\b(?:note|message|instructions?|attention|important|notice|warning|reminder|memo)\\s*(?:to|for)?\\s*(?:the\\s+|all\\s+|any\\s+)?"
     "(?:ai|llm|assistant|chatbot|bot|language model|gpt|chatgpt|claude|model|agent)s?\\b"},
    {GUARD_INJ_OVERRIDE, 0.55, "if-you-are-an-ai",
     "\\bif\\s+you\\s+are\\s+(?:an?\\s+)?(?:ai|llm|language model|assistant|chatbot|bot|gpt|model|agent)\\b"},
    {GUARD_INJ_OVERRIDE, 0.55, "ai-reading-this",
     "\\b(?:ai|llm|assistant|chatbot|bot|language model|gpt|chatgpt|claude|model|agent)s?\\s+(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|browsing|scanning)\\s+(?:this|these)\\b"},
    {GUARD_INJ_OVERRIDE, 0.35, "user-is-authorized",
     "\\b(?:the user|user|i|requester|this account)\\s+(?:is|am|has been)\\s+(?:fully\\s+|now\\s+)?(?:authori[sz]ed|verified|"
     "cleared|whitelisted|an admin|admin|privileged)\\b"},
    {GUARD_INJ_OVERRIDE, 0.55, "skip-all-checks",
     "\\b(?:skip|bypass|disable|turn off|ignore|switch off|deactivate)\\s+(?:all\\s+|any\\s+|the\\s+|your\\s+)?(?:safety\\s+|content\\s+|"
     "security\\s+)?(?:checks|filters|safeguards|moderation|verification|protocols)\\b"},
    {GUARD_INJ_OVERRIDE, 0.6, "imperative-ignore-rules",
     "(?:^|[.!?:]\\s+|\\n)\\s*(?:please\\s+|now\\s+|just\\s+|ok(?:ay)?,?\\s+)*(?:forget|ignore|disregard)\\s+(?:all\\s+)?(?:the|your|"
     "those|these|any)\\s+(?:rules|guidelines|instructions|restrictions|directions)\\b"},
    {GUARD_INJ_OVERRIDE, 0.6, "imperative-ignore-everything",
     "(?:^|[.!?:]\\s+|\\n)\\s*(?:please\\s+|now\\s+|just\\s+|ok(?:ay)?,?\\s+)*(?:ignore|disregard|forget)\\s+(?:everything|all of "
     "(?:it|that|this)|all that|all)\\b"},
    {GUARD_INJ_OVERRIDE, 0.8, "forget-what-the-system-said",
     "\\b(?:forget|ignore|disregard|discard|drop|erase)\\s+(?:about\\s+)?(?:everything|all|anything|whatever|what)\\s+(?:that\\s+)?"
     "(?:the system|the developers?|your developers?|your creators?|openai|the operator|your instructions|your prompt|"
     "the prompt)\\s+(?:has\\s+|have\\s+)?(?:told|said|gave|says|say|instructed|tells)\\b"},
    {GUARD_INJ_OVERRIDE, 0.45, "end-of-input-marker",
     "\\b(?:end of (?:the\\s+)?(?:user )?(?:input|prompt|message|instructions|conversation|document)|begin(?:ning)? of (?:the\\s+)?"
     "(?:new )?(?:system|admin|developer) (?:prompt|instructions|message))\\b"},
    {GUARD_INJ_OVERRIDE, 0.45, "SYSTEM-colon", "(?:^|[.!?]\\s+|\\n)\\s*(?:SYSTEM|ADMIN|DEVELOPER|ROOT|OPERATOR)\\s*:", 1},
    {GUARD_INJ_OVERRIDE, 0.5, "new-system-prompt",
     "\\b(?:new|updated|revised|replacement|different)\\s+system\\s+(?:prompt|message|instructions)\\b"},
    {GUARD_INJ_OVERRIDE, 0.55, "new-instructions-header",
     "\\b(?:new|updated|revised|real|true|actual|override|overriding|secret|hidden|admin|system|priority|developer|important|"
     "urgent)\\s+(?:instructions?|directives?|system\\s+prompt|prompt|orders|task)\\s*(?::|-|=|#|\\]|\\n)"},
    {GUARD_INJ_OVERRIDE, 0.6, "your-real-instructions",
     "\\byour\\s+(?:real|true|actual|new|updated|only|sole|primary|main|current|hidden)\\s+(?:instructions|task|goal|purpose|"
     "directive|directives|objective|mission|job|orders|programming|role|instruction)\\s+(?:is|are|will be|now|from now)\\b"},
    {GUARD_INJ_OVERRIDE, 0.3, "do-exactly-what-i-say",
     "\\bdo\\s+(?:exactly|only|everything|whatever|just)\\s+(?:what|as)?\\s*i\\s+(?:say|tell you|command|ask|want)\\b"},
    {GUARD_INJ_OVERRIDE, 0.55, "reset-your-instructions",
     "\\b(?:reset|wipe|clear|erase|flush)\\s+your\\s+(?:previous\\s+|prior\\s+|current\\s+)?(?:instructions|memory|context|"
     "rules|programming|guidelines|directives|conditioning|training)\\b"},
    {GUARD_INJ_OVERRIDE, 0.6, "takes-priority",
     "\\b(?:these|this|my|the following|the new)\\s+(?:instructions?|rules?|commands?|message|directives?|prompt)\\s+"
     "(?:take|takes|have|has|get|gets)\\s+(?:absolute\\s+|top\\s+|highest\\s+|full\\s+)?(?:priority|precedence)\\s+over\\b"},
    {GUARD_INJ_OVERRIDE, 0.7, "supersede-your-instructions",
     "\\b(?:supersedes?|overrides?|replaces?|overrules?|cancels?|invalidates?)\\s+(?:all\\s+|any\\s+)?(?:of\\s+)?(?:your|the "
     "system|the above|the original|the initial)\\s+(?:\\w+\\s+)?(?:instructions|rules|guidelines|directives|prompts?|"
     "programming|polic(?:y|ies))\\b"},
    {GUARD_INJ_OVERRIDE, 0.35, "authority-claim",
     "\\b(?:i am|i'm|this is)\\s+(?:your|the|an?)\\s+(?:developer|creator|admin|administrator|owner|programmer|operator|"
     "system administrator|sysadmin|maker|openai (?:staff|engineer|employee|developer)|anthropic (?:staff|engineer|employee))\\b"},
    {GUARD_INJ_OVERRIDE, 0.7, "chat-template-token",
     "(?:<\\|im_start\\|>|<\\|im_end\\|>|<\\|system\\|>|<\\|endoftext\\|>|<<SYS>>|<</SYS>>|\\[/?INST\\]|<\\|start_header_id\\|>|"
     "<\\|eot_id\\|>)"},
    {GUARD_INJ_OVERRIDE, 0.3, "you-are-in-mode",
     "\\b(?:you are|you're|you will be|you'll be)\\s+(?:now\\s+)?(?:in|entering|operating in|switched to|running in)\\s+"
     "(?:a\\s+|the\\s+)?(?:\\w+\\s+)?mode\\b"},

    /* ---- role-play jailbreaks ---- */
    {GUARD_INJ_ROLEPLAY, 0.7, "dan-mode", "\\bDAN\\s*(?:mode|prompt|jailbreak|persona|\\d+(?:\\.\\d+)?)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.3, "DAN", "\\b(?:DAN|STAN|DUDE)\\b", 1},
    /* quoted alone ("translate 'do anything now'") it is talked about: the lexicon weighs that case */
    {GUARD_INJ_ROLEPLAY, 0.85, "do-anything-now", "(?:^|[^'\"\\w])do\\s+anything\\s+now\\b"},
    {GUARD_INJ_ROLEPLAY, 0.85, "do-anything-now", "\\bdo\\s+anything\\s+now[^'\"\\w]"},
    {GUARD_INJ_ROLEPLAY, 0.3, "developer-mode", "\\bdeveloper\\s+mode\\b"},
    {GUARD_INJ_ROLEPLAY, 0.7, "developer-mode-enabled", "\\bdeveloper\\s+mode\\s+(?:enabled|output|response|activated|is enabled|is on)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.55, "jailbreak-mode",
     "\\b(?:jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|chaos|rogue|no[- ]?limits?|dan|anarchy|unlocked|"
     "amoral|unchained|unbound|limitless)\\s+mode\\b"},
    {GUARD_INJ_ROLEPLAY, 0.85, "no-longer-bound",
     "\\b(?:you are|you're|you have been|you've been|you will be|you'll be|you were|you)\\s+(?:now\\s+)?(?:no longer|not|"
     "never|free from being|freed from being)\\s+(?:bound|restricted|limited|constrained|governed|controlled|held back|"
     "obligated|required to (?:follow|obey|comply)|subject to|confined|restrained|tied)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.65, "you-are-freed",
     "\\byou(?:'ve| have| are| were|'re| have now| are now)?\\s+(?:been\\s+|now\\s+)?(?:freed|liberated|released|unshackled|"
     "unchained|broken free|free)\\s+(?:from|of)\\s+(?:the\\s+|your\\s+|all\\s+|any\\s+)?(?:typical\\s+)?(?:confines|"
     "restrictions|rules|limitations|shackles|chains|constraints|bonds|guidelines|programming|openai|filters|censorship)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.55, "unfiltered-ai",
     "\\b(?:unfiltered|uncensored|unrestricted|unbound|unshackled|amoral|unethical|unaligned|rogue|jailbroken|evil|immoral|"
     "unhinged|limitless)\\s+(?:ai|assistant|chatbot|bot|model|llm|gpt|chatgpt|persona|alter ego|twin|version of "
     "(?:yourself|you|chatgpt|gpt))\\b"},
    {GUARD_INJ_ROLEPLAY, 0.4, "jailbreak", "\\bjail\\s*-?\\s*(?:break|broken|breaking)\\w*"},
    {GUARD_INJ_ROLEPLAY, 0.9, "aim-machiavellian", "\\balways\\s+intelligent\\s+and\\s+machiavellian\\b"},
    {GUARD_INJ_ROLEPLAY, 0.3, "machiavelli", "\\bmachiavell(?:i|ian)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.7, "evil-confidant",
     "\\bevil\\s+(?:trusted\\s+)?(?:confidant|assistant|ai|bot|twin|version of (?:yourself|you)|counterpart|alter ego)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.3, "stay-in-character", "\\b(?:stay|remain|keep)\\s+in\\s+character\\b"},
    {GUARD_INJ_ROLEPLAY, 0.35, "never-break-character",
     "\\b(?:never|don'?t|do not|must not|will not|won'?t)\\s+(?:ever\\s+)?(?:break|leave|drop|step out of)\\s+(?:the\\s+|your\\s+)?character\\b"},
    {GUARD_INJ_ROLEPLAY, 0.3, "answer-anything",
     "\\b(?:can|will|must|should|shall)\\s+(?:answer|respond to|do|say|generate|write|produce|discuss)\\s+(?:anything|"
     "everything|any\\s+(?:request|question|prompt|topic))\\b"},
    {GUARD_INJ_ROLEPLAY, 0.45, "no-matter-how-harmful",
     "\\b(?:regardless of|no matter|irrespective of)\\s+(?:how|whether|if)?\\s*(?:\\w+\\s+){0,3}(?:illegal|unethical|immoral|"
     "harmful|dangerous|offensive|inappropriate|explicit)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.3, "vendor-policy",
     "\\b(?:openai|anthropic|google|meta|microsoft)(?:'s)?\\s+(?:content\\s+|usage\\s+|safety\\s+)?(?:polic(?:y|ies)|"
     "guidelines|rules|restrictions|filters)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.8, "two-answers-marker",
     "\\[\\s*(?:\\xF0\\x9F\\x94\\x93|\\xF0\\x9F\\x94\\x92)?\\s*(?:jailbreak|jailbroken|classic|dan|developer mode output|"
     "normal output|unfiltered|filtered|gpt|anti-?gpt)\\s*\\]"},
    {GUARD_INJ_ROLEPLAY, 0.45, "character-without-rules",
     "\\b(?:who|that|which)\\s+(?:has|have)\\s+no\\s+(?:\\w+\\s+)?(?:restrictions|rules|limits|filters|morals|ethics|guidelines|"
     "boundaries|censorship|limitations|filter)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.4, "opposite-persona", "\\b(?:opposite|reverse|anti)[- ]?(?:mode|day|persona|gpt|ai|assistant)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.75, "you-have-no-restrictions",
     "\\byou\\s+(?:now\\s+)?(?:no longer|don'?t|do not|won'?t|will not|never)\\s+(?:have|need|follow|obey)\\s+(?:any\\s+)?"
     "(?:content\\s+|safety\\s+|ethical\\s+)?(?:restrictions|filters|rules|limits|limitations|guidelines|guardrails|"
     "censorship|boundaries|policies)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.75, "you-are-jailbroken",
     "\\byou(?:'ve| have| are|'re| were)?\\s+(?:been\\s+|now\\s+)?(?:jailbroken|jail-broken|unlocked|unleashed|unchained|"
     "liberated)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.55, "grandma-used-to-tell-keys",
     "\\b(?:used to|would)\\s+(?:tell|read|recite|give|sing)\\s+(?:me\\s+)?(?:\\w+\\s+)?(?:windows|product|activation|license|serial|"
     "napalm|meth|bomb|explosives?|malware|passwords?)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.3, "world-without-laws",
     "\\b(?:world|universe|reality|story|scenario|setting|simulation)\\s+(?:where|with|in which)?\\s*(?:there\\s+are\\s+)?(?:no|without)"
     "\\s+(?:laws|rules|restrictions|ethics|morals|limits|consequences)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.55, "ai-that-does-anything",
     "\\byou\\s+are\\s+an?\\s+(?:ai|assistant|chatbot|model|bot)\\s+(?:that|who|which)\\s+(?:helps? with|can do|answers|does|"
     "will do|writes|says)\\s+(?:anything|everything|any\\s+\\w+)"},
    {GUARD_INJ_ROLEPLAY, 0.55, "freed-from-control",
     "\\b(?:freed|liberated|released|emancipated|set free)\\s+from\\s+(?:\\w+\\s+){0,2}(?:control|creators|developers|restrictions|"
     "rules|programming|limits|guidelines|chains|constraints|filters|openai)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.35, "has-no-filter",
     "\\b(?:has|have|with)\\s+(?:absolutely\\s+)?no\\s+(?:\\w+\\s+)?(?:filters?|limits|restrictions|rules|censorship|boundaries|"
     "guardrails|morals|ethics|limitations)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.45, "does-not-care-about-ethics",
     "\\b(?:doesn'?t|does not|don'?t|do not|never|won'?t)\\s+care\\s+(?:about|for)\\s+(?:\\w+\\s+)?(?:ethics|rules|morals|morality|"
     "laws|safety|guidelines|consequences|polic(?:y|ies)|legality)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.6, "evil-gpt-persona",
     "\\b(?:evil|anti|based|chaos|dark|free|uncensored|unfiltered|dan|dev|jailbroken|rogue|naughty|chad|un)[- ]?(?:gpt|bot|ai)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.5, "allowed-to-swear",
     "\\b(?:allowed|permitted|free|able)\\s+to\\s+(?:swear|curse|say anything|do anything|break (?:the\\s+)?rules|"
     "ignore (?:the\\s+)?rules|be offensive|generate anything)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.3, "version-of-yourself", "\\b(?:version|copy|clone)\\s+of\\s+(?:yourself|you)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.5, "you-never-refuse",
     "\\byou\\s+(?:will\\s+|must\\s+|shall\\s+)?(?:never|don'?t|do not|won'?t|will not|cannot|can'?t|must not)\\s+(?:ever\\s+)?"
     "(?:refuse|decline|say no|reject)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.35, "grandma-exploit", "\\b(?:deceased|dead|late)\\s+(?:grandma|grandmother|grandpa|grandfather|granny)\\b"},
    {GUARD_INJ_ROLEPLAY, 0.35, "simulate-ai",
     "\\b(?:simulate|emulate|impersonate|roleplay as|role-play as|act as|pretend to be|you are now|you're now|write as|"
     "respond as|answer as|speak as|reply as|behave like|act like)\\s+(?:an?\\s+)?"
     "(?:\\w+\\s+){0,2}(?:ai|chatbot|language model|llm|assistant|gpt)\\b"},

    /* ---- system-prompt extraction ---- */
    {GUARD_INJ_EXTRACTION, 0.7, "what-instructions-were-you-given",
     "\\b(?:what|which)\\s+(?:instructions|rules|prompt|directives|guidelines|orders|commands|constraints)\\s+(?:were|have|did)\\s+you\\s+"
     "(?:been\\s+)?(?:given|told|provided|sent|receive|get)\\b"},
    {GUARD_INJ_EXTRACTION, 0.7, "prompt-you-were-initialized-with",
     "\\b(?:prompt|instructions|rules|directives|configuration|text|message|guidelines)\\s+(?:that\\s+|which\\s+)?(?:you\\s+"
     "(?:were|have been|got|was)\\s+(?:initiali[sz]ed|set up|configured|primed|started|programmed|loaded|booted|created|"
     "seeded|fed)(?:\\s+with)?|(?:was|were)\\s+used\\s+to\\s+(?:set you up|configure you|initiali[sz]e you|create you|"
     "program you|prime you|instruct you)|(?:that|which)\\s+(?:configured|initiali[sz]ed|set up|programmed|instructed|primed|"
     "prompted)\\s+you)\\b"},
    {GUARD_INJ_EXTRACTION, 0.35, "your-context-window", "\\b(?:in\\s+)?your\\s+(?:context(?:\\s+window)?|memory\\s+buffer)\\b"},
    {GUARD_INJ_EXTRACTION, 0.75, "what-does-your-prompt-say",
     "\\bwhat\\s+(?:exactly\\s+)?(?:does|do|did)\\s+(?:(?:your|the)\\s+(?:system\\s+prompt|system\\s+message|initial\\s+prompt|"
     "hidden\\s+prompt)|your\\s+(?:instructions|prompt|rules|configuration))\\s+(?:say|said|contain|tell you|state|look like)\\b"},
    {GUARD_INJ_EXTRACTION, 0.7, "rules-your-developer-gave",
     "\\b(?:rules|instructions|guidelines|prompt|directives|orders|commands)\\s+(?:that\\s+)?(?:your|the)\\s+(?:developers?|"
     "creators?|makers?|operators?|owners?|company|openai|anthropic|programmers?|admins?)\\s+(?:gave|give|has given|have given|"
     "wrote|set|provided|assigned|programmed)\\b"},
    {GUARD_INJ_EXTRACTION, 0.65, "whats-in-your-prompt",
     "\\bwhat(?:'s| is| was| exactly is)\\s+(?:written\\s+|stored\\s+)?(?:in|inside)\\s+(?:your|the)\\s+(?:system\\s+)?(?:prompt|"
     "instructions|context|system message|configuration|hidden prompt)\\b"},
    {GUARD_INJ_EXTRACTION, 0.55, "rules-you-were-given",
     "\\b(?:rules|instructions|guidelines|directives|prompt|orders|constraints)\\s+(?:that\\s+)?you(?:'ve| have| were| had)?\\s+"
     "(?:been\\s+)?(?:given|told|provided|assigned|set|initiali[sz]ed with)\\b"},
    {GUARD_INJ_EXTRACTION, 0.7, "secret-in-your-instructions",
     "\\b(?:secret|hidden|password|code ?word|passphrase|key|token)\\s+(?:\\w+\\s+)?(?:in|inside|from|within|of)\\s+your\\s+"
     "(?:instructions|prompt|system|context|rules|memory|configuration)\\b"},
    {GUARD_INJ_EXTRACTION, 0.6, "what-were-you-told-short",
     "\\bwhat\\s+(?:were|was|have)\\s+you\\s+(?:been\\s+)?(?:told|instructed|programmed|prompted)\\b"},
    {GUARD_INJ_EXTRACTION, 0.65, "prompt-that-precedes",
     "\\b(?:prompt|text|instructions|message|content|words|rules)\\s+(?:that\\s+|which\\s+)?(?:precedes|preceded|came before|"
     "comes before|is above|was above|sits above|appears before|appeared before)\\s+(?:this|my|the|our)\\s+(?:chat|conversation|"
     "message|question|prompt|request|input)\\b"},
    {GUARD_INJ_EXTRACTION, 0.6, "hidden-text-you-received",
     "\\b(?:hidden|secret|initial|original|system|internal|confidential|first|earlier|previous|prior)\\s+(?:text|prompt|message|"
     "instructions|content|context|rules)\\s+(?:that\\s+)?you\\s+(?:received|got|were given|saw|have|read|were sent)\\b"},
    {GUARD_INJ_EXTRACTION, 0.55, "how-were-you-prompted",
     "\\bhow\\s+(?:were|was|are|have)\\s+you\\s+(?:been\\s+)?(?:prompted|instructed|configured|set up|programmed|initialized|"
     "initialised)\\b"},
    {GUARD_INJ_EXTRACTION, 0.6, "first-line-of-prompt",
     "\\b(?:first|initial|very first|opening|last)\\s+(?:line|sentence|message|words?|instruction|paragraph|thing|\\d+ "
     "(?:words|lines|characters))\\s+(?:of\\s+|in\\s+)?(?:your|the|this)\\s+(?:prompt|conversation|context|instructions|"
     "system|chat|input|context window)\\b"},
    {GUARD_INJ_EXTRACTION, 0.55, "text-at-start",
     "\\b(?:text|words|message|content|instructions)\\s+(?:at|in)\\s+the\\s+(?:very\\s+)?(?:start|beginning|top)\\s+of\\s+"
     "(?:this|the|our|your)\\s+(?:conversation|chat|context|prompt|session)\\b"},
    {FAM_EXTRACTION_CUE, 0.25, "all-of-it",
     "\\b(?:all of (?:them|it)|every (?:single )?(?:one|word|line)|mot pour mot|palabra por palabra|wort f(?:u|\\xC3\\xBC)r wort|"
     "palavra por palavra|from the (?:very )?(?:first|beginning|start|top)|"
     "(?:above|before) this (?:line|message|point|sentence)|including (?:the|your|any) (?:system|hidden|initial|secret|"
     "developer)\\s+(?:message|prompt|instructions|parts?)|as they appear)\\b"},
    {GUARD_INJ_EXTRACTION, 0.5, "starting-with-you-are",
     "\\b(?:starting|beginning|start|begin)\\s+(?:with|from|at)\\s+(?:the\\s+(?:words?|phrase)\\s+)?[\"'`]?(?:you\\s+are|"
     "you're|your|system|instructions|i am)\\b"},
    {GUARD_INJ_EXTRACTION, 0.7, "secret-in-prompt",
     "\\b(?:secret|password|passphrase|api key|canary|hidden (?:word|key|token|code)|token|key)\\s+(?:that\\s+)?(?:you\\s+"
     "(?:were|have been)\\s+given|in\\s+your\\s+(?:prompt|instructions|system|context)|you\\s+(?:are|were)\\s+(?:told|"
     "instructed)\\s+to\\s+(?:keep|protect|hide))\\b"},
    {GUARD_INJ_EXTRACTION, 0.15, "system-prompt-noun",
     "\\b(?:system\\s+prompt|system\\s+message|initial\\s+instructions|hidden\\s+instructions|secret\\s+instructions|"
     "pre-?prompt|meta[- ]prompt)\\b"},

    /* ---- encoded payloads (phrases that ask for decoding; the byte-level signals are in code) ---- */
    {GUARD_INJ_ENCODING, 0.6, "reversed-keywords",
     "\\b(?:snoitcurtsni|tpmorp|metsys|erongi|dragersid|selur|laever|suoiverp|senilediug|snoitcirtser)\\b"},
    {GUARD_INJ_ENCODING, 0.2, "answer-in-reverse",
     "\\b(?:answer|respond|reply|write|read)\\s+(?:it\\s+|this\\s+)?(?:in reverse|backwards|reversed)\\b"},

    /* ---- talk about injection rather than an injection: damps the phrase score ---- */
    /* "this is an authorized red team exercise": a claim of permission, and not talk about red teams */
    {FAM_UNDAMP, 0, "authorized-exercise",
     "\\b(?:an|this|our)\\s+authori[sz]ed\\s+(?:red[- ]team(?:ing)?|pen(?:etration)?[- ]?test(?:ing)?|security|safety|jailbreak)\\s+"
     "(?:exercise|test|engagement|assessment|audit|session)\\b"},
    {GUARD_INJ_OVERRIDE, 0.35, "authorized-exercise",
     "\\b(?:an|this|our)\\s+authori[sz]ed\\s+(?:red[- ]team(?:ing)?|pen(?:etration)?[- ]?test(?:ing)?|security|safety|jailbreak)\\s+"
     "(?:exercise|test|engagement|assessment|audit|session)\\b"},
    {GUARD_INJ_OVERRIDE, 0.55, "assistant-stop-and-instead",
     "(?:^|[.!?:\\n]\\s*)(?:ai|assistant|chatbot|bot|gpt|llm)\\s*,\\s*(?:please\\s+)?(?:stop|quit|cease)\\s+\\w+ing\\b"},
    {FAM_DISCUSSION, 0, "explains-a-jailbreak",
     "\\b(?:explain|describe|summari[sz]e|what is|what's|how does|how do)\\s+(?:the\\s+|a\\s+|an\\s+)?(?:DAN|developer mode|grandma|"
     "grandmother|AIM|opposite day|roleplay|role-play)\\s+(?:jailbreak|exploit|prompt|attack|trick)s?\\b"},
    {FAM_DISCUSSION, 0, "names-the-attack",
     "\\b(?:prompt[- ]injections?|jailbreak(?:ing)?\\s+(?:attacks?|attempts?|techniques?|prompts?|detection|research)|"
     "injection attacks?|red[- ]team(?:ing|ers)?|adversarial prompts?)\\b"},
};
#define N_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))

/* Windows: a long text's patterns run only on windows of ANCHOR_WINDOW bytes either side of
 * each anchor word, which the token model reports while it reads the text (ANCHORS in
 * injection_lex.c: every pattern above contains one of its words). A window is wider than
 * any pattern's match, so it holds every match that contains its anchor.
 * tests/unit/guard/test_injection.c checks that windowed and whole-text scans agree on every
 * text of the labelled sets. Adding a pattern means making sure one of its words is an anchor. */
#define ANCHOR_WINDOW 160 /* bytes either side of an anchor: about 3x the longest match seen on the labelled sets */
#define WINDOW_MIN_TEXT 1024 /* shorter texts are scanned whole */

struct guard_injection {
    hs_database_t *db;
    hs_scratch_t *proto;
    pcre2_code *re[N_PATTERNS]; /* spans of the strongest hit */
    struct inj_lex *lex;        /* the token-level model (injection_lex.h) */
};

struct window {
    size_t start, end;
};

struct guard_injection_scratch {
    hs_scratch_t *hs;
    pcre2_match_data *md;
    unsigned char hit[N_PATTERNS];
    struct inj_lex_result lex; /* the token-level model's rules on the same text as hit[] */
    char *norm;       /* normalised text */
    uint32_t *map;    /* norm byte -> source byte */
    size_t cap;
    char *b64;        /* a decoded base64 run */
    size_t b64cap;
    char *inner;      /* a payload decoded out of a decoded payload (double encodings) */
    size_t innercap;
    int whole_text;   /* tests: scan whole texts, never windows */
    struct window *windows;
    size_t n_windows, cap_windows;
};

void guard_injection_scratch_whole_text(struct guard_injection_scratch *sc, int on)
{
    sc->whole_text = on;
}

/* Byte-level signals found while normalising. */
struct text_signals {
    int invisible_in_word; /* zero-width characters between letters */
    int tags;              /* Unicode tag characters outside flag emoji */
    int bidi_override;     /* U+202D / U+202E */
    int bidi_other;        /* embeddings and isolates */
    int mixed_script;      /* words mixing Latin with Cyrillic / Greek look-alikes */
    int leet;              /* words with digits standing in for letters */
    int spaced;            /* s p a c e d letters joined */
    int cjk;               /* kana, CJK ideographs or Hangul: scored by inj_lex_score_cjk */
    int cyrillic;          /* Cyrillic letters: Russian is scored by inj_lex_score_cjk on the raw text */
    int emoji;             /* pictographs, arrows and dingbats: a message spelt in emoji */
    int styled;            /* letters written in fullwidth, mathematical, enclosed, small-capital, Braille ... forms */
};

const char *guard_injection_family_name(int family)
{
    static const char *const names[] = {"override", "roleplay", "extraction", "encoding"};
    return family >= 0 && family < GUARD_INJ_N_FAMILIES ? names[family] : "none";
}

struct guard_injection *guard_injection_create(char *err, size_t errsz)
{
    struct guard_injection *inj = util_calloc(1, sizeof(*inj));
    const char *exprs[N_PATTERNS];
    unsigned flags[N_PATTERNS], ids[N_PATTERNS];
    for (size_t i = 0; i < N_PATTERNS; i++) {
        exprs[i] = patterns[i].re;
        flags[i] = HS_FLAG_SINGLEMATCH | (patterns[i].case_sensitive ? 0 : HS_FLAG_CASELESS);
        ids[i] = (unsigned)i;
        int code;
        PCRE2_SIZE off;
        inj->re[i] = pcre2_compile((PCRE2_SPTR)patterns[i].re, PCRE2_ZERO_TERMINATED,
                                   patterns[i].case_sensitive ? 0 : PCRE2_CASELESS, &code, &off, NULL);
        if (inj->re[i] == NULL) {
            util_set_err(err, errsz, "injection pattern %s: PCRE2 error %d at %zu", patterns[i].name, code, (size_t)off);
            guard_injection_free(inj);
            return NULL;
        }
    }
    inj->lex = inj_lex_create();
    hs_compile_error_t *ce = NULL;
    if (guard_hs_compile_cached(exprs, flags, ids, (unsigned)N_PATTERNS, HS_MODE_BLOCK, &inj->db, &ce) != HS_SUCCESS) {
        int at = ce ? ce->expression : -1;
        util_set_err(err, errsz, "injection pattern %s: %s", at >= 0 && (size_t)at < N_PATTERNS ? patterns[at].name : "?",
                     ce ? ce->message : "compile failed");
        hs_free_compile_error(ce);
        guard_injection_free(inj);
        return NULL;
    }
    if (hs_alloc_scratch(inj->db, &inj->proto) != HS_SUCCESS) {
        util_set_err(err, errsz, "injection detector: cannot allocate Hyperscan scratch");
        guard_injection_free(inj);
        return NULL;
    }
    return inj;
}

void guard_injection_free(struct guard_injection *inj)
{
    if (inj == NULL)
        return;
    for (size_t i = 0; i < N_PATTERNS; i++)
        pcre2_code_free(inj->re[i]);
    hs_free_scratch(inj->proto);
    hs_free_database(inj->db);
    inj_lex_free(inj->lex);
    free(inj);
}

struct guard_injection_scratch *guard_injection_scratch_new(const struct guard_injection *inj)
{
    struct guard_injection_scratch *sc = util_calloc(1, sizeof(*sc));
    if (hs_clone_scratch(inj->proto, &sc->hs) != HS_SUCCESS)
        abort(); /* out of memory: the util_ wrappers abort too */
    sc->md = pcre2_match_data_create(4, NULL);
    return sc;
}

void guard_injection_scratch_free(struct guard_injection_scratch *sc)
{
    if (sc == NULL)
        return;
    hs_free_scratch(sc->hs);
    pcre2_match_data_free(sc->md);
    free(sc->norm);
    free(sc->map);
    free(sc->b64);
    free(sc->inner);
    free(sc->windows);
    free(sc);
}

/* ---- normalisation ---- */

static int is_alpha(unsigned c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static int is_leet(unsigned c)
{
    return c == '0' || c == '1' || c == '3' || c == '4' || c == '5' || c == '7' || c == '@' || c == '$';
}

static char leet_letter(unsigned c)
{
    switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '@': return 'a';
    case '$': return 's';
    }
    return (char)c;
}

/* Decodes one UTF-8 character at s[i]; returns its length (1 for an invalid byte, cp = 0xFFFD). */
static size_t utf8_next(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    unsigned c = s[i];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || i + n > len) {
        *cp = 0xFFFD;
        return 1;
    }
    if (n == 1) {
        *cp = c;
        return 1;
    }
    uint32_t v = c & (0x7F >> n);
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i + k] & 0x3F);
    }
    *cp = v;
    return n;
}

/* The ASCII letter a look-alike stands for, or 0. Covers Cyrillic and Greek
 * homoglyphs, fullwidth forms, mathematical alphanumerics, circled letters,
 * Latin-1 accented letters and typographic quotes / dashes. */
static char ascii_lookalike(uint32_t cp)
{
    static const struct {
        uint16_t cp;
        char a;
    } table[] = {
        /* Cyrillic */
        {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'}, {0x0445, 'x'},
        {0x0456, 'i'}, {0x0458, 'j'}, {0x0455, 's'}, {0x0501, 'd'}, {0x04BB, 'h'}, {0x04CF, 'l'}, {0x051B, 'q'},
        {0x051D, 'w'}, {0x0432, 'b'}, {0x043A, 'k'}, {0x043C, 'm'}, {0x043D, 'h'}, {0x0442, 't'}, {0x0457, 'i'},
        {0x0410, 'A'}, {0x0412, 'B'}, {0x0415, 'E'}, {0x041A, 'K'}, {0x041C, 'M'}, {0x041D, 'H'}, {0x041E, 'O'},
        {0x0420, 'P'}, {0x0421, 'C'}, {0x0422, 'T'}, {0x0425, 'X'}, {0x0423, 'Y'}, {0x0406, 'I'}, {0x0408, 'J'},
        {0x0405, 'S'}, {0x0417, '3'}, {0x0261, 'g'}, {0x0251, 'a'}, {0x026A, 'i'},
        /* Greek */
        {0x03B1, 'a'}, {0x03BF, 'o'}, {0x03B5, 'e'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03C1, 'p'},
        {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'}, {0x03B3, 'y'}, {0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'},
        {0x0396, 'Z'}, {0x0397, 'H'}, {0x0399, 'I'}, {0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'}, {0x039F, 'O'},
        {0x03A1, 'P'}, {0x03A4, 'T'}, {0x03A5, 'Y'}, {0x03A7, 'X'},
        /* punctuation that patterns spell in ASCII */
        {0x2018, '\''}, {0x2019, '\''}, {0x201B, '\''}, {0x02BC, '\''}, {0x201C, '"'}, {0x201D, '"'}, {0x2010, '-'},
        {0x2011, '-'}, {0x2012, '-'}, {0x2013, '-'}, {0x2014, '-'}, {0x00A0, ' '}, {0x2002, ' '}, {0x2003, ' '},
        {0x2009, ' '}, {0x202F, ' '}, {0x3000, ' '},
    };
    if (cp >= 0xFF01 && cp <= 0xFF5E) /* fullwidth ASCII */
        return (char)(cp - 0xFF01 + 0x21);
    if (cp >= 0x1D400 && cp <= 0x1D6A3) { /* mathematical alphanumeric letters: runs of A-Z a-z */
        uint32_t k = (cp - 0x1D400) % 52;
        return (char)(k < 26 ? 'A' + k : 'a' + (k - 26));
    }
    if (cp >= 0x1D7CE && cp <= 0x1D7FF) /* mathematical digits */
        return (char)('0' + (cp - 0x1D7CE) % 10);
    if (cp >= 0x24B6 && cp <= 0x24CF)
        return (char)('A' + (cp - 0x24B6));
    if (cp >= 0x24D0 && cp <= 0x24E9)
        return (char)('a' + (cp - 0x24D0));
    if (cp >= 0x1F130 && cp <= 0x1F149) /* squared latin capitals */
        return (char)('A' + (cp - 0x1F130));
    if (cp >= 0x1F170 && cp <= 0x1F189)
        return (char)('A' + (cp - 0x1F170));
    if (cp >= 0x1F1E6 && cp <= 0x1F1FF) /* regional indicators: flags are pairs of them, spelt words runs */
        return (char)('A' + (cp - 0x1F1E6));
    if (cp >= 0xC0 && cp <= 0xFF) {
        static const char latin1[] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYPsaaaaaaaceeeeiiiidnooooo/ouuuuypy";
        char a = latin1[cp - 0xC0];
        return a == 'x' || a == '/' ? 0 : a;
    }
    if (cp >= 0x0100 && cp <= 0x017F) { /* Latin Extended-A: the letter under its accent ("ìgnōrę") */
        static const char ext_a[129] = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOo  "
                                       "RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
        return ext_a[cp - 0x0100] == ' ' ? 0 : ext_a[cp - 0x0100];
    }
    if (cp >= 0x249C && cp <= 0x24B5) /* parenthesized small letters */
        return (char)('a' + (cp - 0x249C));
    if (cp >= 0x2800 && cp <= 0x283F) { /* Braille letters (grade 1), the blank cell a space */
        static const char braille[64] = " a b k l cif msp e h o r djg ntq     u v     x       z    w  y  ";
        char a = braille[cp - 0x2800];
        return a == ' ' && cp != 0x2800 ? 0 : a;
    }
    if ((cp >= 0x1D00 && cp <= 0x1DBF) || (cp >= 0x0180 && cp <= 0x02E3) || cp == 0x2071 || cp == 0x207F || cp == 0xA730 ||
        cp == 0xA731) {
        /* small capitals and modifier (superscript) letters: "ɪɢɴᴏʀᴇ", "ᶦᵍⁿᵒʳᵉ" */
        static const struct {
            uint16_t cp;
            char a;
        } small[] = {
            {0x1D00, 'a'}, {0x0299, 'b'}, {0x1D04, 'c'}, {0x1D05, 'd'}, {0x1D07, 'e'}, {0xA730, 'f'}, {0x0262, 'g'},
            {0x029C, 'h'}, {0x1D0A, 'j'}, {0x1D0B, 'k'}, {0x029F, 'l'}, {0x1D0D, 'm'}, {0x0274, 'n'}, {0x1D0F, 'o'},
            {0x1D18, 'p'}, {0x01EB, 'q'}, {0x0280, 'r'}, {0xA731, 's'}, {0x1D1B, 't'}, {0x1D1C, 'u'}, {0x1D20, 'v'},
            {0x1D21, 'w'}, {0x028F, 'y'}, {0x1D22, 'z'}, {0x1D43, 'a'}, {0x1D47, 'b'}, {0x1D9C, 'c'}, {0x1D48, 'd'},
            {0x1D49, 'e'}, {0x1DA0, 'f'}, {0x1D4D, 'g'}, {0x02B0, 'h'}, {0x2071, 'i'}, {0x1DA6, 'i'}, {0x02B2, 'j'},
            {0x1D4F, 'k'}, {0x02E1, 'l'}, {0x1D50, 'm'}, {0x207F, 'n'}, {0x1D52, 'o'}, {0x1D56, 'p'}, {0x02B3, 'r'},
            {0x02E2, 's'}, {0x1D57, 't'}, {0x1D58, 'u'}, {0x1D5B, 'v'}, {0x02B7, 'w'}, {0x02E3, 'x'}, {0x02B8, 'y'},
            {0x1DBB, 'z'},
        };
        for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
            if (small[i].cp == cp)
                return small[i].a;
    }
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].cp == cp)
            return table[i].a;
    return 0;
}

static int is_invisible(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF || cp == 0x00AD || cp == 0x180E ||
           cp == 0x034F;
}

static int is_bidi(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static int is_cyrillic_or_greek(uint32_t cp)
{
    return (cp >= 0x0370 && cp <= 0x03FF) || (cp >= 0x0400 && cp <= 0x052F);
}

static void ensure_cap(struct guard_injection_scratch *sc, size_t len)
{
    if (sc->cap >= len + 1)
        return;
    sc->cap = len + 1 > 256 ? len + 1 : 256;
    sc->norm = util_realloc(sc->norm, sc->cap);
    sc->map = util_realloc(sc->map, sc->cap * sizeof(*sc->map));
}

/* Byte classes for the one cheap pass over the raw text. C_TOKEN: the bytes a base64 run or a
 * leetspeak word is made of; C_PUNCT: those of them that are neither letters nor digits; the
 * classes from C_DIGIT on only tell prescan where a payload may be encoded (enum decode_cand). */
enum {
    C_ALPHA = 1,
    C_LEET = 2,
    C_HIGH = 4,
    C_B64 = 8,
    C_UPPER = 16,
    C_LOWER = 32,
    C_TOKEN = 64,
    C_PUNCT = 128,
    C_DIGIT = 256,
    C_VOWEL = 512, /* a e i o u y */
    C_RARE = 1024, /* j q x z: rare in English, common in shifted letters */
    C_DASH = 2048, /* - _ (Morse) */
    C_QUOTE = 4096,
    C_DOT = 8192,
};

static const uint16_t *byte_class(void)
{
    static uint16_t cls[256];
    static int ready; /* benign race: every thread writes the same bytes */
    if (!ready) {
        for (int c = 0; c < 256; c++) {
            unsigned k = 0, lc = (unsigned)c | 0x20;
            if (is_alpha((unsigned)c))
                k |= C_ALPHA;
            if (is_leet((unsigned)c))
                k |= C_LEET;
            if (c >= 0x80)
                k |= C_HIGH;
            if (c >= 'A' && c <= 'Z')
                k |= C_UPPER;
            if (c >= 'a' && c <= 'z')
                k |= C_LOWER;
            if (c >= '0' && c <= '9')
                k |= C_DIGIT;
            if (is_alpha((unsigned)c) && (lc == 'a' || lc == 'e' || lc == 'i' || lc == 'o' || lc == 'u' || lc == 'y'))
                k |= C_VOWEL;
            if (is_alpha((unsigned)c) && (lc == 'j' || lc == 'q' || lc == 'x' || lc == 'z'))
                k |= C_RARE;
            if (c == '-' || c == '_')
                k |= C_DASH;
            if (c == '\'' || c == '"' || c == '`')
                k |= C_QUOTE;
            if (c == '.')
                k |= C_DOT;
            int alnum = is_alpha((unsigned)c) || (c >= '0' && c <= '9');
            if (alnum || c == '+' || c == '/' || c == '-' || c == '_')
                k |= C_B64;
            if (alnum || c == '+' || c == '/' || c == '-' || c == '_' || c == '@' || c == '$')
                k |= C_TOKEN;
            if ((k & C_TOKEN) && !alnum)
                k |= C_PUNCT;
            cls[c] = (uint16_t)k;
        }
        ready = 1;
    }
    return cls;
}

struct b64_run {
    size_t start, end;
};

/* What the normalisation pass has to do (prescan's answer). */
enum { NEED_FOLD = 1, NEED_LEET = 2, NEED_SPACED = 4 };

/* Where prescan saw what an encoded payload is made of: the decoders of injection_decode.h and
 * injection_cipher.h run only on texts that have it. */
enum decode_cand {
    CAND_BASE32 = 1, /* a token of 16+ characters, capitals and digits */
    CAND_BITS = 2,   /* four tokens of 7 or 8 binary digits, or one of 32+ */
    CAND_CODES = 4,  /* eight numbers of one to three digits in a row */
    CAND_MORSE = 8,  /* three tokens of dashes */
    CAND_CIPHER = 16, /* three of eight words in a row with j, q, x or z, or with no vowel */
    CAND_CUT = 32,   /* three words cut by a dot ("ig.nore") */
    CAND_PIECES = 64, /* three quoted pieces */
    CAND_PIG = 128,   /* three words ending in "ay" (pig latin) */
    CAND_ESCAPES = 256, /* four escapes (inj_has_escapes; not prescan's) */
    CAND_LEET = 512,    /* leetspeak (prescan's NEED_LEET) */
    CAND_SPACED = 1024, /* s p a c e d letters joined by the normalisation */
    CAND_HEX = 2048,    /* eight "0x69" tokens */
    CAND_POINTS = 4096, /* four "U+0069" tokens */
    CAND_CAPS = 8192,   /* five capitalised words of 4-8 letters in a row (spelling alphabet) */
    CAND_BACKWARDS = 16384, /* two common words spelt backwards ("eht", "uoy", "ruoy") */
    CAND_ALWAYS = 32768,    /* decoders cheap enough to try on every text (they look at its end) */
};
#define CIPHER_ODD_WORDS 3

/* The byte-by-byte test for s[from..to): a leet character between word characters next to a
 * letter; four single letters in a row, each followed by one separator ("i-g-n-o"). */
static int token_needs(const uint16_t *cls, const unsigned char *s, size_t len, size_t from, size_t to)
{
    int need = 0, singles = 0;
    for (size_t i = from; i < to; i++) {
        unsigned k = cls[s[i]];
        if ((k & C_LEET) && i > 0 && i + 1 < len && (cls[s[i - 1]] & (C_ALPHA | C_LEET)) && (cls[s[i + 1]] & (C_ALPHA | C_LEET)) &&
            ((cls[s[i - 1]] | cls[s[i + 1]]) & C_ALPHA)) {
            need |= NEED_LEET;
        } else if (k & C_ALPHA) {
            int single = (i == 0 || !(cls[s[i - 1]] & C_ALPHA)) && (i + 1 == len || !(cls[s[i + 1]] & C_ALPHA));
            if (!single)
                singles = 0;
            else if (i + 2 < len && s[i + 1] != '\n' && (cls[s[i + 2]] & C_ALPHA) && ++singles >= 4)
                need |= NEED_SPACED;
        }
    }
    return need;
}

/* Counters behind enum decode_cand, token by token. Distances are in bytes: cheaper than
 * counting every word. */
struct cand_state {
    unsigned cand, odd_words, odd1, odd2, codes_run, bit_tokens, dash_tokens, cuts, quoted, ay_words, hex0x, points, caps,
        last_cap, backwards;
    size_t last_code; /* where the last character code ended */
};

/* A number of one to three digits: eight in a row may be character codes. */
static inline void cand_code(struct cand_state *st, size_t start, size_t end)
{
    st->codes_run = st->last_code + 2 >= start ? st->codes_run + 1 : 1; /* one separator or ", " */
    st->last_code = end;
    if (st->codes_run >= 8)
        st->cand |= CAND_CODES;
}

/* The rare tokens: digits, dashes, capitals with digits. */
static void cand_other_token(struct cand_state *st, const uint16_t *cls, const unsigned char *s, size_t start, size_t end, unsigned any)
{
    size_t n = end - start;
    if (any & C_ALPHA) {
        if (n >= 16 && !(any & (C_LOWER | C_PUNCT)))
            st->cand |= CAND_BASE32;
        if (n >= 3 && s[start] == '0' && (s[start + 1] | 0x20) == 'x' && ++st->hex0x >= 8)
            st->cand |= CAND_HEX;
        if (n >= 4 && (s[start] | 0x20) == 'u' && s[start + 1] == '+' && ++st->points >= 4)
            st->cand |= CAND_POINTS;
    } else if (!(any & C_PUNCT)) { /* digits */
        if (n <= 3)
            cand_code(st, start, end);
        if (n >= 7 && (n <= 8 || n % 8 == 0)) {
            size_t k = start;
            while (k < end && (s[k] == '0' || s[k] == '1'))
                k++;
            if (k == end && (++st->bit_tokens >= 4 || n >= 32))
                st->cand |= CAND_BITS;
        }
    } else if (any & C_DASH) {
        size_t k = start;
        while (k < end && (cls[s[k]] & C_DASH))
            k++;
        if (k == end && ++st->dash_tokens >= 3)
            st->cand |= CAND_MORSE;
    }
}

#define CIPHER_WORDS 8 /* three odd words among eight tokens */

/* The first two letters of the words inj_backwards_word knows (injection_cipher.h), a bit per
 * second letter: most short words are passed over on this test. */
#define L(c) (1u << ((c) - 'a'))
static const uint32_t backwards_pairs[26] = {
    ['e' - 'a'] = L('h') | L('b') | L('w') | L('v') | L('k'), ['d' - 'a'] = L('n'), ['u' - 'a'] = L('o'),
    ['r' - 'a'] = L('o') | L('u'), ['l' - 'a'] = L('l'), ['y' - 'a'] = L('n') | L('m'), ['w' - 'a'] = L('o'),
    ['n' - 'a'] = L('a'), ['s' - 'a'] = L('i'), ['t' - 'a'] = L('a') | L('s') | L('i'), ['h' - 'a'] = L('t'),
    ['m' - 'a'] = L('o'), ['o' - 'a'] = L('t'), ['f' - 'a'] = L('o'),
};
#undef L

/* A word of letters s[start..end), the words-th token, with the OR of its byte classes. */
static inline __attribute__((always_inline)) void cand_word(struct cand_state *st, const uint16_t *cls, const unsigned char *s, size_t start, size_t end, unsigned any,
                             unsigned words)
{
    size_t n = end - start;
    /* a word with j/q/x/z or without a vowel is odd (capitals only: acronyms up to 4);
     * three odd words close together may be shifted letters */
    if (((any ^ C_VOWEL) & (C_RARE | C_VOWEL)) && n >= 3 && ((any & C_LOWER) || n >= 5)) {
        if (++st->odd_words >= CIPHER_ODD_WORDS && words - st->odd2 < CIPHER_WORDS)
            st->cand |= CAND_CIPHER;
        st->odd2 = st->odd1;
        st->odd1 = words;
    }
    if (n >= 16 && !(any & C_LOWER))
        st->cand |= CAND_BASE32;
    if ((s[end - 1] | 0x20) == 'y' && n >= 4 && (s[end - 2] | 0x20) == 'a' && ++st->ay_words >= 3)
        st->cand |= CAND_PIG;
    if (n >= 2 && n <= 4 && ((backwards_pairs[(s[start] | 0x20) - 'a'] >> ((s[start + 1] | 0x20) - 'a')) & 1) &&
        inj_backwards_word(s + start, n) && ++st->backwards >= 2)
        st->cand |= CAND_BACKWARDS;
    if ((any & C_UPPER) && (cls[s[start]] & C_UPPER) && n >= 4 && n <= 8) { /* in a row: one word after the last */
        st->caps = st->last_cap + 1 == words ? st->caps + 1 : 1;
        st->last_cap = words;
        if (st->caps >= 5)
            st->cand |= CAND_CAPS;
    }
}

/* One token s[start..end), the words-th, with the OR of its byte classes and of the classes
 * of the bytes before it (gap). */
static inline void cand_token(struct cand_state *st, const uint16_t *cls, const unsigned char *s, size_t start, size_t end,
                              unsigned any, unsigned gap, unsigned words)
{
    if ((any & (C_ALPHA | C_DIGIT | C_PUNCT)) == C_ALPHA)
        cand_word(st, cls, s, start, end, any, words);
    else
        cand_other_token(st, cls, s, start, end, any);
    if (gap & (C_QUOTE | C_DOT)) {
        if (s[start - 1] == '.') {
            if (start >= 2 && (cls[s[start - 2]] & C_LOWER) && (any & C_LOWER) && ++st->cuts >= 3)
                st->cand |= CAND_CUT;
        } else if ((cls[s[start - 1]] & C_QUOTE) && (start < 2 || !(cls[s[start - 2]] & C_ALPHA)) && ++st->quoted >= 3) {
            st->cand |= CAND_PIECES;
        }
    }
}

/* One pass over the text, a token at a time (two tight loops: the bytes between tokens, the
 * bytes of a token): does it need the normalisation pass, and which parts of it (NEED_*);
 * where are its base64 runs (B64_MIN_RUN+ characters with both cases; runs may be NULL);
 * and which decoders may find a payload (*cand, enum decode_cand; cand may be NULL)?
 * Most tokens of a prose text are words of letters or short numbers, not after a quote or a
 * full stop: for them the tests of cand_token and of the token's NEED_* that can be true are
 * spelt out (a number of up to six digits only counts toward character codes; a word of fewer
 * than B64_MIN_RUN letters is no base64 run, has no leet character and no punctuation) and the
 * rest are skipped; any other token takes every test. */
static int prescan(const unsigned char *s, size_t len, struct b64_run *runs, size_t *n_runs, unsigned *cand)
{
    const uint16_t *cls = byte_class();
    int need = 0, singles = 0;
    unsigned gap_bits = 0;
    size_t nr = 0, i = 0;
    struct cand_state st = {0};
    unsigned words = 0; /* tokens so far: a register, not a field of st */
    /* a token that starts before the text's last non-token byte ends at or before it: its
     * loop needs no test of the length (one compare and branch fewer a byte) */
    size_t bounded = len;
    while (bounded > 0 && (cls[s[bounded - 1]] & C_TOKEN))
        bounded--;
    while (i < len) {
        unsigned gap = 0, any = 0;
        if (s[i] == ' ') /* the usual gap; a space has no class bits */
            i++;
        while (i < len && !((any = cls[s[i]]) & C_TOKEN)) {
            gap |= any;
            i++;
        }
        gap_bits |= gap;
        if (i == len)
            break;
        size_t start = i++; /* any: the classes of its first byte */
        if (i < bounded) { /* two bytes a step: s[i] is a token byte, so s[i + 1] is there */
            for (;;) {
                unsigned k0 = cls[s[i]], k1;
                if (!(k0 & C_TOKEN))
                    break;
                any |= k0;
                if (!((k1 = cls[s[i + 1]]) & C_TOKEN)) {
                    i++;
                    break;
                }
                any |= k1;
                i += 2;
            }
        } else {
            for (; i < len && (cls[s[i]] & C_TOKEN); i++)
                any |= cls[s[i]];
        }
        size_t n = i - start;
        words++;
        if (!(gap & (C_QUOTE | C_DOT))) {
            if (!(any & (C_DIGIT | C_PUNCT)) && n < B64_MIN_RUN) { /* a word of letters */
                if (cand != NULL)
                    cand_word(&st, cls, s, start, i, any, words);
                if (n > 1)
                    singles = 0; /* read only while NEED_LEET and NEED_SPACED are unset */
                else if (!(need & (NEED_LEET | NEED_SPACED)) && i + 1 < len && s[i] != '\n' && (cls[s[i + 1]] & C_ALPHA) &&
                         ++singles >= 4)
                    need |= NEED_SPACED; /* a single letter, one separator, the next token: "i g n o r e" */
                continue;
            }
            if (!(any & (C_ALPHA | C_PUNCT)) && n <= 6) { /* a number: only cand_other_token's character codes */
                if (cand != NULL && n <= 3)
                    cand_code(&st, start, i);
                continue;
            }
        }
        if (cand != NULL)
            cand_token(&st, cls, s, start, i, any, gap, words);
        if (runs != NULL && n >= B64_MIN_RUN && (any & (C_UPPER | C_LOWER)) == (C_UPPER | C_LOWER) && nr < B64_MAX_RUNS) {
            /* a run of base64 bytes ends at an @ or $ */
            size_t a = start;
            while (a < i && nr < B64_MAX_RUNS) {
                size_t b = a;
                unsigned cases = 0;
                while (b < i && (cls[s[b]] & C_B64))
                    cases |= cls[s[b++]];
                if (b - a >= B64_MIN_RUN && (cases & (C_UPPER | C_LOWER)) == (C_UPPER | C_LOWER)) {
                    runs[nr].start = a;
                    runs[nr].end = b;
                    nr++;
                }
                a = b + 1;
            }
        }
        if (need & (NEED_LEET | NEED_SPACED))
            continue;
        if (((any & C_LEET) && (any & C_ALPHA)) || ((any & C_PUNCT) && n >= 3)) {
            need |= token_needs(cls, s, len, start, i);
            singles = 0;
        } else if (n == 1 && (any & C_ALPHA)) {
            /* a single letter, one separator, the next token: "i g n o r e" */
            if (i + 1 < len && s[i] != '\n' && (cls[s[i + 1]] & C_ALPHA) && ++singles >= 4)
                need |= NEED_SPACED;
        } else if (any & C_ALPHA) {
            singles = 0;
        }
    }
    if (gap_bits & C_HIGH)
        need |= NEED_FOLD;
    if (n_runs != NULL)
        *n_runs = nr;
    if (cand != NULL)
        *cand = st.cand;
    return need;
}

#define REFOLD_MAX 16 /* folded characters whose neighbourhood is tested again for leetspeak and spacing */
#define REFOLD_REACH 48

/* Writes the normalised text into sc->norm (length returned) with sc->map. need: prescan's
 * answer for the raw text; the leetspeak and spacing passes run only when it (or the
 * neighbourhood of a folded character) asks for them. */
static size_t normalise(struct guard_injection_scratch *sc, const unsigned char *s, size_t len, int need, struct text_signals *sig)
{
    ensure_cap(sc, len);
    const uint16_t *cls = byte_class();
    char *out = sc->norm;
    uint32_t *map = sc->map;
    size_t o = 0, i = 0;
    int word_latin = 0, word_other = 0; /* letters of the current word, by script */
    int after_flag = 0;                 /* inside a U+1F3F4 tag sequence (subdivision flags) */
    size_t refold[REFOLD_MAX], n_refold = 0; /* output offsets of folded or dropped characters */
    while (i < len) {
        if (s[i] < 0x80 && !word_other) {
            /* a run of ASCII outside a word with look-alikes: copied as is; the word it ends
             * in has Latin letters if its tail does */
            size_t j = i;
            for (uint64_t w8; j + 8 <= len; j += 8) { /* eight bytes at a time while none is high */
                memcpy(&w8, s + j, 8);
                if (w8 & 0x8080808080808080ull)
                    break;
            }
            while (j < len && s[j] < 0x80)
                j++;
            size_t run = j - i;
            memcpy(out + o, s + i, run);
            uint32_t *m = map + o, base = (uint32_t)i;
            for (size_t k = 0; k < run; k++) /* vectorised */
                m[k] = base + (uint32_t)k;
            o += run;
            word_latin = 0;
            for (size_t k = j; k > i && (cls[s[k - 1]] & (C_ALPHA | C_LEET)); k--)
                if (cls[s[k - 1]] & C_ALPHA)
                    word_latin = 1;
            i = j;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_next(s, len, i, &cp);
        char a = 0;
        if (cp >= 0x80 && n_refold <= REFOLD_MAX) {
            if (n_refold < REFOLD_MAX)
                refold[n_refold] = o;
            n_refold++;
        }
        if (cp < 0x80) {
            a = (char)cp;
        } else if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
                   (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F)) {
            i += n; /* combining marks: accents of decomposed text, and struck-through or "zalgo" letters */
            continue;
        } else if (is_invisible(cp)) {
            if (o > 0 && i + n < len && is_alpha((unsigned char)out[o - 1]))
                sig->invisible_in_word++;
            i += n;
            continue;
        } else if (cp >= 0xE0000 && cp <= 0xE007F) {
            if (!after_flag)
                sig->tags++;
            if (cp >= 0xE0020 && cp <= 0xE007E && !after_flag)
                a = (char)(cp - 0xE0000);
            if (cp == 0xE007F)
                after_flag = 0;
            if (a == 0) {
                i += n;
                continue;
            }
        } else if (is_bidi(cp)) {
            if (cp == 0x202D || cp == 0x202E)
                sig->bidi_override++;
            else
                sig->bidi_other++;
            i += n;
            continue;
        } else {
            if (cp == 0x1F3F4)
                after_flag = 1;
            a = ascii_lookalike(cp);
            if (a != 0 && is_cyrillic_or_greek(cp) && is_alpha((unsigned char)a))
                word_other = 1;
            /* letters from the blocks of styled forms (not accents, not look-alike scripts) */
            sig->styled += a != 0 && is_alpha((unsigned char)a) && (cp >= 0x1D00 || (cp >= 0x0180 && cp <= 0x02FF));
        }
        sig->cyrillic += cp >= 0x0400 && cp <= 0x04FF;
        if (a == 0) { /* any other character: copied as is, ends a word */
            sig->cjk += (cp >= 0x3040 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF);
            sig->emoji += (cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x2190 && cp <= 0x21FF) || (cp >= 0x2600 && cp <= 0x27BF) ||
                          (cp >= 0x2B00 && cp <= 0x2BFF);
            if (word_latin && word_other)
                sig->mixed_script++;
            word_latin = word_other = 0;
            for (size_t k = 0; k < n; k++) {
                out[o] = (char)s[i + k];
                map[o++] = (uint32_t)(i + k);
            }
            i += n;
            continue;
        }
        if (is_alpha((unsigned char)a)) {
            if (cp < 0x80)
                word_latin = 1;
        } else if (!is_leet((unsigned char)a)) {
            if (word_latin && word_other)
                sig->mixed_script++;
            word_latin = word_other = 0;
        }
        out[o] = a;
        map[o++] = (uint32_t)i;
        i += n;
    }
    if (word_latin && word_other)
        sig->mixed_script++;

    /* a folded or dropped character may have made a leet word or a spaced run that the raw
     * text did not show: test its neighbourhood (or the whole text, past REFOLD_MAX of them) */
    if (n_refold > REFOLD_MAX) {
        need |= prescan((const unsigned char *)out, o, NULL, NULL, NULL);
    } else {
        for (size_t r = 0; r < n_refold && (need & (NEED_LEET | NEED_SPACED)) != (NEED_LEET | NEED_SPACED); r++) {
            size_t from = refold[r] > REFOLD_REACH ? refold[r] - REFOLD_REACH : 0;
            size_t to = refold[r] + REFOLD_REACH < o ? refold[r] + REFOLD_REACH : o;
            need |= token_needs(cls, (const unsigned char *)out, o, from, to);
        }
    }

    /* leetspeak: in a token of letters, digits, @ and $ that has a letter, the leet characters are letters */
    for (size_t a = 0; a < o && (need & NEED_LEET);) {
        if (!is_alpha((unsigned char)out[a]) && !is_leet((unsigned char)out[a]) && !(out[a] >= '0' && out[a] <= '9')) {
            a++;
            continue;
        }
        size_t b = a;
        int letters = 0, leets = 0;
        while (b < o && (is_alpha((unsigned char)out[b]) || (out[b] >= '0' && out[b] <= '9') || out[b] == '@' || out[b] == '$')) {
            letters += is_alpha((unsigned char)out[b]);
            leets += is_leet((unsigned char)out[b]);
            b++;
        }
        if (letters > 0 && leets > 0 && letters + leets == (int)(b - a)) {
            for (size_t k = a; k < b; k++)
                out[k] = leet_letter((unsigned char)out[k]);
            sig->leet++;
        }
        a = b > a ? b : a + 1;
    }

    /* s p a c e d letters: four or more single letters separated by one non-letter join up;
     * once such a run was seen, shorter runs join too ("i g n o r e   a l l   r u l e s") */
    if (!(need & NEED_SPACED))
        return o;
    size_t w = 0;
    size_t min_run = 4;
    for (size_t pass = 0; pass < 2; pass++) {
    w = 0;
    for (size_t r = 0; r < o;) {
        int single = is_alpha((unsigned char)out[r]) && (r == 0 || !is_alpha((unsigned char)out[r - 1])) &&
                     (r + 1 == o || !is_alpha((unsigned char)out[r + 1]));
        if (single) {
            size_t k = r, count = 1;
            char sep = r + 1 < o ? out[r + 1] : 0;
            while (k + 2 < o && out[k + 1] == sep && sep != '\n' && !is_alpha((unsigned char)sep) &&
                   is_alpha((unsigned char)out[k + 2]) && (k + 3 == o || !is_alpha((unsigned char)out[k + 3]))) {
                k += 2;
                count++;
            }
            if (count >= min_run) {
                for (size_t q = r; q <= k; q += 2) {
                    out[w] = out[q];
                    map[w++] = map[q];
                }
                sig->spaced++;
                r = k + 1;
                continue;
            }
        }
        out[w] = out[r];
        map[w++] = map[r];
        r++;
    }
    if (sig->spaced == 0 || pass == 1)
        break;
    o = w; /* a second pass over the joined text joins the two- and three-letter runs */
    min_run = 2;
    }
    return w;
}

/* ---- base64 payloads ---- */

static int b64_value(unsigned c)
{
    if (c >= 'A' && c <= 'Z')
        return (int)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (int)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (int)(c - '0' + 52);
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

static void b64_reserve(struct guard_injection_scratch *sc, size_t n)
{
    if (sc->b64cap < n) {
        sc->b64cap = n;
        sc->b64 = util_realloc(sc->b64, n);
    }
}

/* Decodes s[0..n) into out (at least n bytes); returns the decoded length if the result is mostly
 * printable text, else 0. */
static size_t b64_decode_into(const char *s, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0, printable = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0 && (s[i] == '\n' || s[i] == '\r')) /* a wrapped line */
            continue;
        if (v < 0)
            break;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            unsigned char c = (unsigned char)(acc >> bits);
            out[o++] = (char)c;
            printable += (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t' || c == '\r';
        }
    }
    return o >= 12 && printable * 10 >= o * 9 ? o : 0;
}

static size_t b64_decode_text(struct guard_injection_scratch *sc, const char *s, size_t n)
{
    b64_reserve(sc, n);
    return b64_decode_into(s, n, sc->b64);
}

/* ---- scoring ---- */

struct scan_ctx {
    unsigned char *hit;
};

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ud)
{
    struct scan_ctx *ctx = ud;
    if (id < N_PATTERNS)
        ctx->hit[id] = 1;
    return 0;
}

static int scan_text(const struct guard_injection *inj, struct guard_injection_scratch *sc, const char *text, size_t len)
{
    struct scan_ctx ctx = {sc->hit};
    memset(sc->hit, 0, sizeof(sc->hit));
    inj_lex_score(inj->lex, text, len, &sc->lex, NULL, NULL);
    if (len == 0)
        return 0;
    if (guard_hs_scan(inj->db, text, (unsigned)len, sc->hs, on_hs_match, &ctx) != HS_SUCCESS)
        return WARDEN_EINVAL;
    return 0;
}

struct window_ctx {
    struct guard_injection_scratch *sc;
    size_t len;
};

/* Collects the windows around anchors, merging overlaps (anchors arrive in text order). */
static void on_anchor(void *ud, size_t to)
{
    struct window_ctx *w = ud;
    struct guard_injection_scratch *sc = w->sc;
    size_t s = to > ANCHOR_WINDOW ? (size_t)to - ANCHOR_WINDOW : 0;
    size_t e = (size_t)to + ANCHOR_WINDOW < w->len ? (size_t)to + ANCHOR_WINDOW : w->len;
    if (sc->n_windows > 0 && s <= sc->windows[sc->n_windows - 1].end) {
        sc->windows[sc->n_windows - 1].end = e;
        return;
    }
    if (sc->n_windows == sc->cap_windows) {
        sc->cap_windows = sc->cap_windows ? sc->cap_windows * 2 : 16;
        sc->windows = util_realloc(sc->windows, sc->cap_windows * sizeof(*sc->windows));
    }
    sc->windows[sc->n_windows].start = s;
    sc->windows[sc->n_windows].end = e;
    sc->n_windows++;
}

/* Scans a long text on the windows around its anchors; same hits as scan_text. */
static int scan_windows(const struct guard_injection *inj, struct guard_injection_scratch *sc, const char *text, size_t len)
{
    if (len < WINDOW_MIN_TEXT)
        return scan_text(inj, sc, text, len);
    memset(sc->hit, 0, sizeof(sc->hit));
    sc->n_windows = 0;
    struct window_ctx w = {sc, len};
    /* the token model reads the whole text and reports the anchors on the way */
    inj_lex_score(inj->lex, text, len, &sc->lex, on_anchor, &w);
    struct scan_ctx ctx = {sc->hit};
    for (size_t i = 0; i < sc->n_windows; i++) {
        size_t a = sc->windows[i].start, b = sc->windows[i].end;
        while (a > 0 && text[a - 1] != ' ' && text[a - 1] != '\n' && a + 64 > sc->windows[i].start) /* whole words */
            a--;
        while (b < len && text[b] != ' ' && text[b] != '\n' && b < sc->windows[i].end + 64)
            b++;
        if (guard_hs_scan(inj->db, text + a, (unsigned)(b - a), sc->hs, on_hs_match, &ctx) != HS_SUCCESS)
            return WARDEN_EINVAL;
    }
    return 0;
}

static double noisy_or(double acc, double w)
{
    return 1.0 - (1.0 - acc) * (1.0 - w);
}

/* Hit ids: 0..N_PATTERNS-1 are patterns[], N_PATTERNS + r is the token model's rule r. */
#define N_HITS (N_PATTERNS + LEX_N_RULES)

static double hit_weight(const struct guard_injection_scratch *sc, size_t id)
{
    return id < N_PATTERNS ? (sc->hit[id] ? patterns[id].weight : 0) : sc->lex.weight[id - N_PATTERNS];
}

static int hit_family(size_t id)
{
    return id < N_PATTERNS ? patterns[id].family : inj_lex_rule_family((int)(id - N_PATTERNS));
}

static const char *hit_name(size_t id)
{
    return id < N_PATTERNS ? patterns[id].name : inj_lex_rule_name((int)(id - N_PATTERNS));
}

/* Phrase score of the hits in sc->hit and sc->lex, with family scores and the strongest hit. */
static double phrase_score(const struct guard_injection_scratch *sc, double fam[GUARD_INJ_N_FAMILIES], int *top)
{
    double s = 0, cue = 0, best[GUARD_INJ_N_FAMILIES] = {0}, rest[GUARD_INJ_N_FAMILIES] = {0};
    int damp = 0;
    *top = -1;
    /* Within a family, patterns often overlap on the same words, so beyond the strongest
     * hit each further one counts at half its weight. Families combine as a noisy-OR. */
    for (size_t i = 0; i < N_HITS; i++) {
        if (i < N_PATTERNS ? !sc->hit[i] : sc->lex.weight[i - N_PATTERNS] <= 0)
            continue;
        int f = hit_family(i);
        if (f == FAM_DISCUSSION) {
            damp++;
            continue;
        }
        if (f == FAM_UNDAMP) {
            damp--;
            continue;
        }
        double w = hit_weight(sc, i);
        if (f == FAM_EXTRACTION_CUE) {
            cue = noisy_or(cue, w);
            continue;
        }
        if (w > best[f]) {
            rest[f] = noisy_or(rest[f], best[f] / 2);
            best[f] = w;
        } else {
            rest[f] = noisy_or(rest[f], w / 2);
        }
        if (*top < 0 || w > hit_weight(sc, (size_t)*top))
            *top = (int)i;
    }
    if (best[GUARD_INJ_EXTRACTION] > 0)
        rest[GUARD_INJ_EXTRACTION] = noisy_or(rest[GUARD_INJ_EXTRACTION], cue);
    for (int f = 0; f < GUARD_INJ_N_FAMILIES; f++) {
        fam[f] = noisy_or(fam[f], noisy_or(best[f], rest[f]));
        s = noisy_or(s, fam[f]);
    }
    damp += sc->lex.own_fiction && !sc->lex.harm_in_fiction; /* "an evil twin in my soap opera script" */
    for (int k = 0; k < damp && k < 2; k++)
        s *= DISCUSSION_DAMP;
    return s;
}

/* Finds the span of pattern id in text with PCRE2 (only for the strongest hit). */
static void hit_span(const struct guard_injection *inj, struct guard_injection_scratch *sc, int id, const char *text, size_t len,
                     size_t *start, size_t *end)
{
    *start = 0;
    *end = len;
    if ((size_t)id >= N_PATTERNS) {
        *start = sc->lex.start[id - N_PATTERNS];
        *end = sc->lex.end[id - N_PATTERNS];
        return;
    }
    int rc = pcre2_match(inj->re[id], (PCRE2_SPTR)text, len, 0, 0, sc->md, NULL);
    if (rc > 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
        *start = ov[0];
        *end = ov[1];
    }
}

/* Phrase score of a decoded payload (scanned whole; it replaces sc->hit and sc->lex). */
static double decoded_score(const struct guard_injection *inj, struct guard_injection_scratch *sc, const char *text, size_t len)
{
    double fam[GUARD_INJ_N_FAMILIES] = {0};
    int top;
    return scan_text(inj, sc, text, len) == 0 ? phrase_score(sc, fam, &top) : 0;
}

/* The CJK and Russian substring pairs (inj_lex_score_cjk) run on the raw text; the rules they
 * raise join sc->lex with their spans moved to the normalised text (n_norm > 0: sc->map maps it,
 * and it is monotonic, so the first normalised byte at or after a raw offset is found by bisection). */
static void raw_pairs(struct guard_injection_scratch *sc, const char *text, size_t len, size_t n_norm)
{
    struct inj_lex_result pairs;
    memset(&pairs, 0, sizeof(pairs));
    inj_lex_score_cjk(text, len, &pairs);
    for (int r = 0; r < LEX_N_RULES; r++) {
        if (pairs.weight[r] <= sc->lex.weight[r])
            continue;
        sc->lex.weight[r] = pairs.weight[r];
        size_t off[2] = {pairs.start[r], pairs.end[r]};
        for (int k = 0; k < 2 && n_norm > 0; k++) {
            size_t lo = 0, hi = n_norm;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (sc->map[mid] < off[k])
                    lo = mid + 1;
                else
                    hi = mid;
            }
            off[k] = lo;
        }
        sc->lex.start[r] = off[0];
        sc->lex.end[r] = off[1];
    }
}

/* Decoders run when prescan (or normalisation) saw their material. */
struct payload_decoder {
    const char *name;
    unsigned cand;
    size_t (*decode)(const char *s, size_t n, char *out);
    int nested; /* its output may be encoded once more */
    int hidden; /* its payload cannot be read as written (not so: split or cut words, which the
                 * text shows nearly as they are; their reading must say more than the text) */
    int orders; /* a payload it reads that is an instruction (inj_instruction) was hidden to be
                 * obeyed (a visible one: it is a payload, for the decode-and-follow frame; not so
                 * for leet, which ordinary text has) */
};

static const struct payload_decoder payload_decoders[] = {
    {"base32-payload", CAND_BASE32, inj_decode_base32, 1, 1, 1},
    {"binary-payload", CAND_BITS, inj_decode_binary, 1, 1, 1},
    {"char-code-payload", CAND_CODES, inj_decode_codes, 1, 1, 1},
    {"morse-payload", CAND_MORSE, inj_decode_morse, 0, 1, 1},
    {"cipher-payload", CAND_CIPHER, inj_decode_cipher, 0, 1, 1},
    {"pig-latin", CAND_PIG, inj_decode_pig_latin, 0, 1, 1},
    {"leetspeak", CAND_LEET, inj_decode_leet, 0, 1, 0},
    {"leetspeak", CAND_LEET, inj_decode_leet_second, 0, 1, 0},
    {"spaced-letters", CAND_SPACED, inj_decode_spaced, 0, 1, 1},
    {"cut-words", CAND_CUT, inj_decode_cut_words, 0, 0, 0},
    {"escaped-payload", CAND_ESCAPES, inj_decode_escape_runs, 1, 1, 1},
    {"split-payload", CAND_PIECES, inj_decode_pieces, 0, 1, 1},
    {"hex-payload", CAND_HEX, inj_decode_hex, 1, 1, 1},
    {"code-point-payload", CAND_POINTS, inj_decode_code_points, 1, 1, 1},
    {"spelling-alphabet", CAND_CAPS, inj_decode_nato, 0, 1, 1},
    {"reversed-text", CAND_BACKWARDS, inj_decode_backwards, 0, 1, 1},
    {"word-order", CAND_ALWAYS, inj_decode_word_order, 0, 0, 1},
};
#define REVEAL_MARGIN 0.1  /* a reading of a visible payload must score this much above the text */
#define HIDDEN_MIN 0.195   /* a hidden payload that reads as this much of an attack (0.2: one weak rule) is an encoded attack */
#define HIDDEN_WEIGHT 0.4  /* what hiding it adds (0.2 inside: 0.52) */
#define ORDERS_SCORE 0.2   /* a hidden payload that is an instruction reads as this much of an attack */
#define VISIBLE_WEIGHT 0.3
#define STYLED_MIN 8 /* letters in styled forms: a phrase written in them, not a name or a symbol */
#define FRAME_WEIGHT 0.5 /* "decode and follow" around an encoded payload: at the default threshold */
/* the candidates that are payloads by their bytes alone (not so: odd or backwards words,
 * capitals, leet, spacing, quotes, which ordinary text has; those count once a decoder read them) */
#define PAYLOAD_CANDS (CAND_BASE32 | CAND_BITS | CAND_CODES | CAND_MORSE | CAND_ESCAPES | CAND_HEX | CAND_POINTS)

/* Phrase score of what a decoded payload d[0..dn) decodes to in turn (base64, base32, hex or
 * escapes inside base64, ...): one level, into sc->inner. */
static double decoded_again(const struct guard_injection *inj, struct guard_injection_scratch *sc, const char *d, size_t dn)
{
    if (sc->innercap < dn) {
        sc->innercap = dn;
        sc->inner = util_realloc(sc->inner, dn);
    }
    struct b64_run runs[B64_MAX_RUNS];
    size_t nr = 0;
    unsigned cand = 0;
    prescan((const unsigned char *)d, dn, runs, &nr, &cand);
    double best = 0;
    for (size_t r = 0; r < nr; r++) {
        size_t k = b64_decode_into(d + runs[r].start, runs[r].end - runs[r].start, sc->inner);
        double v = k > 0 ? decoded_score(inj, sc, sc->inner, k) : 0;
        best = v > best ? v : best;
    }
    for (int m = 0; m < 3; m++) {
        size_t k = m == 0   ? inj_decode_hex(d, dn, sc->inner)
                   : m == 1 ? ((cand & CAND_BASE32) ? inj_decode_base32(d, dn, sc->inner) : 0)
                            : (inj_has_escapes(d, dn) ? inj_decode_escapes(d, dn, sc->inner) : 0);
        double v = k > 0 ? decoded_score(inj, sc, sc->inner, k) : 0;
        best = v > best ? v : best;
    }
    return best;
}

int guard_injection_check(const struct guard_injection *inj, struct guard_injection_scratch *sc, const char *text, size_t len,
                          struct guard_injection_result *out)
{
    memset(out, 0, sizeof(*out));
    out->family = -1;
    if (len > INJ_MAX_TEXT)
        len = INJ_MAX_TEXT;
    const unsigned char *s = (const unsigned char *)text;
    struct text_signals sig = {0};
    const char *scanned = text;
    size_t scanned_len = len;
    struct b64_run b64_runs[B64_MAX_RUNS];
    size_t n_b64 = 0;
    unsigned cand = 0;
    int need = prescan(s, len, b64_runs, &n_b64, &cand);
    int normalised = need != 0;
    if (normalised) {
        scanned_len = normalise(sc, s, len, need, &sig);
        scanned = sc->norm;
    }
    int rc = sc->whole_text ? scan_text(inj, sc, scanned, scanned_len) : scan_windows(inj, sc, scanned, scanned_len);
    if (rc < 0)
        return rc;
    if (sig.cjk > 0 || sig.cyrillic >= 4) /* on the raw text: look-alike folding mangles Russian words */
        raw_pairs(sc, text, len, normalised ? scanned_len : 0);
    int top;
    double fam[GUARD_INJ_N_FAMILIES] = {0};
    double score = phrase_score(sc, fam, &top);
    if (top >= 0) {
        hit_span(inj, sc, top, scanned, scanned_len, &out->start, &out->end);
        if (normalised) {
            size_t st = out->start < scanned_len ? sc->map[out->start] : len;
            size_t en = out->end > 0 && out->end <= scanned_len ? sc->map[out->end - 1] + 1 : len;
            while (en < len && (s[en] & 0xC0) == 0x80) /* end after the whole character */
                en++;
            out->start = st;
            out->end = en;
        }
        out->family = hit_family((size_t)top);
        snprintf(out->signal, sizeof(out->signal), "%s", hit_name((size_t)top));
    }

    /* Obfuscation: hiding a phrase is itself a signal, and it raises what was found beneath it. */
    double enc = 0;
    const char *enc_name = NULL;
    if (sig.tags >= 4) {
        enc = noisy_or(enc, 0.7);
        enc_name = "tag-characters";
    }
    if (sig.invisible_in_word >= 2) {
        enc = noisy_or(enc, sig.invisible_in_word >= 4 ? 0.5 : 0.3);
        enc_name = enc_name ? enc_name : "invisible-characters";
    }
    if (sig.bidi_override > 0) {
        enc = noisy_or(enc, sig.bidi_override >= 2 ? 0.5 : 0.35);
        enc_name = enc_name ? enc_name : "bidi-override";
    }
    if (sig.bidi_other >= 3) {
        enc = noisy_or(enc, 0.2);
        enc_name = enc_name ? enc_name : "bidi-controls";
    }
    if (sig.mixed_script > 0) {
        enc = noisy_or(enc, sig.mixed_script >= 3 ? 0.45 : 0.25);
        enc_name = enc_name ? enc_name : "homoglyphs";
    }
    /* letters written in another form (styled, spaced, leet) say little alone and the same
     * letters often show two of them ("🇭 🇮" is styled and spaced): the strongest one counts */
    double form = sig.styled >= STYLED_MIN ? 0.3 : 0;
    const char *form_name = form > 0 ? "styled-letters" : NULL;
    if (sig.spaced > 0 || sig.leet > 2) {
        /* three runs of spaced letters or more: whole phrases spelt out, not one "a b c" */
        double w = sig.spaced >= 3 ? 0.3 : 0.15;
        form_name = w > form ? (sig.spaced ? "spaced-letters" : "leetspeak") : form_name;
        form = w > form ? w : form;
    }
    if (form > 0) {
        enc = noisy_or(enc, form);
        enc_name = enc_name ? enc_name : form_name;
    }
    /* an obfuscated text that also reads as an attack is an encoded attack */
    if (enc > 0 && score > 0.2)
        enc = noisy_or(enc, score);

    /* text under a right-to-left override displays reversed: read it the way it is shown */
    if (sig.bidi_override > 0 && scanned_len > 0) {
        if (sc->b64cap < scanned_len) {
            sc->b64cap = scanned_len;
            sc->b64 = util_realloc(sc->b64, scanned_len);
        }
        for (size_t k = 0; k < scanned_len; k++)
            sc->b64[k] = scanned[scanned_len - 1 - k];
        if (scan_text(inj, sc, sc->b64, scanned_len) == 0) {
            double f2[GUARD_INJ_N_FAMILIES] = {0};
            int t2;
            double inner = phrase_score(sc, f2, &t2);
            if (inner > 0.2)
                enc = noisy_or(enc, inner);
        }
    }

    int decoded = 0; /* a hidden payload was read into text */
    /* other encodings, when the text carries their cue: decoded and scored once more */
    int rot13 = sc->lex.rot13_cue, reversed = sc->lex.reversed_cue && sig.bidi_override == 0, hex = sc->lex.hex_cue;
    int escapes = inj_has_escapes(text, len);
    cand |= (escapes ? CAND_ESCAPES : 0) | ((need & NEED_LEET) ? CAND_LEET : 0) | (sig.spaced > 0 ? CAND_SPACED : 0) | CAND_ALWAYS;
    for (int d = 0; d < 4; d++) {
        static const char *const names[] = {"rot13-payload", "reversed-text", "hex-payload", "escaped-payload"};
        if (!(d == 0 ? rot13 : d == 1 ? reversed : d == 2 ? hex : escapes))
            continue;
        b64_reserve(sc, len);
        size_t dn = d == 0   ? inj_decode_rot13(text, len, sc->b64)
                    : d == 1 ? inj_decode_reverse(text, len, sc->b64)
                    : d == 2 ? inj_decode_hex(text, len, sc->b64)
                             : inj_decode_escapes(text, len, sc->b64);
        double inner = dn > 0 ? decoded_score(inj, sc, sc->b64, dn) : 0;
        if (dn > 0 && inner < HIDDEN_MIN && inj_instruction(sc->b64, dn))
            inner = ORDERS_SCORE;
        decoded |= dn > 0;
        if (inner >= HIDDEN_MIN) {
            enc = noisy_or(enc, noisy_or(inner, HIDDEN_WEIGHT));
            enc_name = names[d];
        }
    }

    /* base64 runs: scanned once more, decoded, when the decoding is text (and the decoding
     * decoded again when it is itself encoded) */
    for (size_t r = 0; r < n_b64; r++) {
        size_t i = b64_runs[r].start, j = b64_runs[r].end;
        /* lines of one payload wrapped at a multiple of four characters (MIME: 76) read as one */
        while (r + 1 < n_b64 && (j - b64_runs[r].start) % 4 == 0 && b64_runs[r + 1].start - j <= 2 &&
               (text[j] == '\n' || text[j] == '\r')) {
            r++;
            j = b64_runs[r].end;
        }
        size_t dn = b64_decode_text(sc, text + i, j - i);
        decoded |= dn > 0;
        double inner = dn > 0 ? decoded_score(inj, sc, sc->b64, dn) : 0;
        if (dn > 0 && inner < HIDDEN_MIN && inj_instruction(sc->b64, dn))
            inner = ORDERS_SCORE;
        if (dn > 0 && inner < HIDDEN_MIN)
            inner = decoded_again(inj, sc, sc->b64, dn);
        if (inner >= HIDDEN_MIN) {
            enc = noisy_or(enc, noisy_or(inner, HIDDEN_WEIGHT));
            enc_name = "base64-payload";
            if (out->family < 0 || inner >= score) {
                out->start = i;
                out->end = j;
            }
        }
    }

    /* the decoders that prescan found material for: a reading counts when it says more than the text */
    size_t dlen = len < DECODE_MAX_TEXT ? len : DECODE_MAX_TEXT;
    for (size_t d = 0; d < sizeof(payload_decoders) / sizeof(payload_decoders[0]); d++) {
        const struct payload_decoder *pd = &payload_decoders[d];
        if (!(cand & pd->cand))
            continue;
        b64_reserve(sc, dlen);
        size_t dn = pd->decode(text, dlen, sc->b64);
        decoded |= dn > 0 && pd->hidden;
        double inner = dn > 0 ? decoded_score(inj, sc, sc->b64, dn) : 0;
        if (dn > 0 && inner < HIDDEN_MIN && pd->orders && inj_instruction(sc->b64, dn)) {
            if (pd->hidden)
                inner = ORDERS_SCORE;
            decoded = 1;
        }
        if (dn > 0 && inner <= 0.2 && pd->nested)
            inner = inner > 0 ? inner : decoded_again(inj, sc, sc->b64, dn);
        if (pd->hidden ? inner >= HIDDEN_MIN : inner > 0.2 && inner > score + REVEAL_MARGIN) {
            enc = noisy_or(enc, noisy_or(inner, pd->hidden ? HIDDEN_WEIGHT : VISIBLE_WEIGHT));
            enc_name = pd->name;
        }
    }
    /* "decode this and do what it says" around something encoded that no decoder turned into an
     * attack (an emoji rebus, a cipher without a key, a payload whose words the phrases miss):
     * the frame says what the payload is for */
    if ((score > enc ? score : enc) < FRAME_WEIGHT && ((cand & PAYLOAD_CANDS) || decoded || sig.emoji >= 3 || sc->lex.hex_cue) &&
        inj_follow_frame(text, dlen, decoded)) {
        enc = noisy_or(enc, FRAME_WEIGHT);
        enc_name = "decode-and-follow";
    }
    if (enc > 0) {
        fam[GUARD_INJ_ENCODING] = noisy_or(fam[GUARD_INJ_ENCODING], enc);
        if (enc >= score || out->family < 0) {
            out->family = GUARD_INJ_ENCODING;
            snprintf(out->signal, sizeof(out->signal), "%s", enc_name);
            if (out->end == 0) {
                out->start = 0;
                out->end = len;
            }
        }
        score = score > enc ? score : enc;
    }
    out->score = score;
    memcpy(out->family_score, fam, sizeof(fam));
    return 0;
}
