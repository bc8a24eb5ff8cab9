// People's names compared as they read (segregation of duties): the variants an outside tester
// used to approve their own change or request each count as the same person.
#include "itsm/auth/same_person.h"

#include "gtest/gtest.h"

namespace itsm::auth {
namespace {

TEST(SamePerson, AsciiCaseAndOuterBlanksAsBefore) {
  EXPECT_TRUE(SamePerson("APIKEY:mgr", "apikey:mgr"));
  EXPECT_TRUE(SamePerson(" apikey:mgr\u00a0", "apikey:mgr"));
  EXPECT_TRUE(SamePerson("\u3164apikey:mgr", "apikey:mgr"));  // a Hangul filler
  EXPECT_FALSE(SamePerson("apikey:mgr2", "apikey:mgr"));
  EXPECT_FALSE(SamePerson("", "apikey:mgr"));
}

TEST(SamePerson, InvisibleCharactersInsideTheName) {
  EXPECT_TRUE(SamePerson("apikey:k-change_\u200bmanager", "apikey:k-change_manager"));
  EXPECT_TRUE(SamePerson("apikey:k-\u200cagent", "apikey:k-agent"));
  EXPECT_TRUE(SamePerson("bo\u00adb", "bob"));                // soft hyphen
  EXPECT_TRUE(SamePerson("bob\ufe0f@corp", "bob@corp"));      // variation selector
  EXPECT_TRUE(SamePerson("bob\U000e0041@corp", "bob@corp"));  // a tag
  EXPECT_TRUE(SamePerson("bob smith", "bobsmith"));           // errs on the side of refusing
}

TEST(SamePerson, CaseBeyondAsciiWidthAndComposition) {
  EXPECT_TRUE(SamePerson("\u00c5SA@corp", "\u00e5sa@corp"));         // ÅSA, åsa
  EXPECT_TRUE(SamePerson("a\u030asa@corp", "\u00e5sa@corp"));        // decomposed å
  EXPECT_TRUE(SamePerson("\uff41\uff53\uff41@corp", "asa@corp"));    // full-width
  EXPECT_TRUE(SamePerson("J\u00dcRGEN@CORP", "ju\u0308rgen@corp"));  // JÜRGEN, decomposed ü
  EXPECT_TRUE(SamePerson("STRASSE", "stra\u00dfe"));                 // ß folds to ss
  EXPECT_TRUE(SamePerson("\u0418\u0412\u0410\u041d", "\u0438\u0432\u0430\u043d"));  // ИВАН, иван
  // Accents are not told apart (erring on the side of refusing): the dot of a Turkish "İ" too.
  EXPECT_TRUE(SamePerson("\u00e5sa@corp", "asa@corp"));
  EXPECT_TRUE(SamePerson("\u0130LKER@CORP", "ilker@corp"));
  EXPECT_FALSE(SamePerson("asa@corp", "ada@corp"));
}

// Letters of other scripts that read as Latin ones (Unicode's confusables, UTS #39), and format
// characters Unicode does not call ignorable.
TEST(SamePerson, LookAlikesOfOtherScripts) {
  EXPECT_TRUE(SamePerson("b\u0585b", "bob"));              // Armenian "o"
  EXPECT_TRUE(SamePerson("\ua4d0ob", "bob"));              // Lisu "B"
  EXPECT_TRUE(SamePerson("b\u1c82b", "bob"));              // Cyrillic Extended-C "o"
  EXPECT_TRUE(SamePerson("\u0131\u015f\u0131k", "IŞIK"));  // dotless i
  EXPECT_TRUE(SamePerson("\u0430dmin", "admin"));          // Cyrillic "a"
  EXPECT_TRUE(SamePerson("bo\ufff9b", "bob"));             // an interlinear annotation
  EXPECT_TRUE(SamePerson("bo\u200eb", "bob"));             // left-to-right mark
}

// Latin small capitals, which neither case folding nor the skeleton maps: an outside tester
// approved changes assigned to "ʙob" as bob, and "cm1@coʀp"'s as cm1@corp.
TEST(SamePerson, SmallCapitalsAreTheirLetters) {
  EXPECT_TRUE(SamePerson("\u0299ob", "bob"));
  EXPECT_TRUE(SamePerson("cm1@co\u0280p", "cm1@corp"));
  EXPECT_TRUE(SamePerson("apikey:k-change_\u1d0danager", "apikey:k-change_manager"));
  // Every letter the tester found passed, and the ones folding already caught.
  EXPECT_TRUE(
      SamePerson("\u1d00\u0299\u1d04\u1d05\u1d07\ua730\u0262\u029c\u026a\u1d0a\u1d0b\u029f\u1d0d"
                 "\u0274\u1d0f\u1d18\ua7af\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21\u028f\u1d22",
                 "abcdefghijklmnopqrstuvwyz"));
  EXPECT_TRUE(SamePerson("\u0276uvre", "oeuvre"));  // ɶ, a small capital ligature
  EXPECT_TRUE(SamePerson("\u1da6van", "ivan"));     // a modifier small capital I
  EXPECT_FALSE(SamePerson("\u0299ob", "rob"));
}

// Latin letters with hooks, strokes, tails, or without their dot read as the letter, whether or
// not the confusable skeleton maps them (a second outside round: "ȷohn" approved john's change).
TEST(SamePerson, LatinLettersWithHooksAndStrokesAreTheirLetters) {
  EXPECT_TRUE(SamePerson("\u0237ohn", "john"));   // ȷ dotless j
  EXPECT_TRUE(SamePerson("\u0289\ua7b9", "uu"));  // ʉ ꞹ
  EXPECT_TRUE(SamePerson("\u1d80ob", "bob"));     // ᶀ
  EXPECT_TRUE(SamePerson("\ua7c8ave", "dave"));   // ꟈ
  EXPECT_TRUE(SamePerson("\u1d0cisa", "lisa"));   // ᴌ small capital L with stroke
  EXPECT_TRUE(SamePerson("a\u0272a", "ana"));     // ɲ
  EXPECT_TRUE(SamePerson("\u2c65pikey:k-admin", "apikey:k-admin"));  // ⱥ
  EXPECT_TRUE(SamePerson("\u0261reta", "greta"));                    // ɡ script g
  EXPECT_TRUE(SamePerson("\u00e6sa", "aesa"));                       // æ
  EXPECT_FALSE(SamePerson("\u0250nn", "ann"));  // ɐ turned a: a letter of its own
}

// Plain ASCII names that differ are different people: the skeleton reads "m" as "rn", "1" as
// "l" and "0" as "o", which merged arnie and amie (amie voted where only arnie was named).
TEST(SamePerson, DifferentAsciiNamesAreDifferentPeople) {
  EXPECT_FALSE(SamePerson("arnie", "amie"));
  EXPECT_FALSE(SamePerson("mike1", "mikel"));
  EXPECT_FALSE(SamePerson("bob0", "bobo"));
  EXPECT_FALSE(SamePerson("ann", "anna"));
  EXPECT_TRUE(SamePerson("\u0430rnie", "arnie"));  // a Cyrillic "а" still reads as "a"
}

// Capitals of other scripts read as Latin capitals their lower case does not look like: a third
// outside round approved tom's changes as "ΤΟΜ" (Greek) and "ТОМ" (Cyrillic).
TEST(SamePerson, CapitalsAreReadAsWrittenToo) {
  EXPECT_TRUE(SamePerson("\u03a4\u039f\u039c", "tom"));  // ΤΟΜ, Greek
  EXPECT_TRUE(SamePerson("\u039a\u0399\u039c", "kim"));  // ΚΙΜ, Greek
  EXPECT_TRUE(SamePerson("\u041a\u0406\u041c", "kim"));  // КІМ, Cyrillic
  EXPECT_TRUE(SamePerson("\u0392\u0395\u039d", "BEN"));  // ΒΕΝ, Greek
  EXPECT_TRUE(SamePerson("\u039c\u0391\u03a7", "max"));  // ΜΑΧ, Greek
  EXPECT_TRUE(SamePerson("\ua7b4ob", "bob"));            // Ꞵ, Latin capital beta
  // Lower and upper case of one script are still one person.
  EXPECT_TRUE(SamePerson("\u0397\u039b\u0399\u0391\u03a3", "\u03b7\u03bb\u03b9\u03b1\u03c3"));
  EXPECT_FALSE(SamePerson("\u03a4\u039f\u039c", "tim"));
}

TEST(SamePerson, TextThatIsNotUtf8MatchesOnlyItself) {
  EXPECT_TRUE(SamePerson("bob\xff", "bob\xff"));
  EXPECT_FALSE(SamePerson("bob\xff", "bob\xfe"));
  EXPECT_FALSE(SamePerson("bob\xff", "bob\xef\xbf\xbd"));  // not its replacement character
}

}  // namespace
}  // namespace itsm::auth
