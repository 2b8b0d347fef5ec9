# The journal's part of keylink_relay; src/relay/CMakeLists.txt includes this file.
set(KEYLINK_RELAY_JOURNAL_SOURCES stored_message.cc journal_schema.cc sqlite_journal.cc)
set(KEYLINK_RELAY_JOURNAL_TESTS sqlite_journal_test.cc sqlite_journal_crash_test.cc)
