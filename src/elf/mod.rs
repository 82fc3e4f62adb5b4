//! Thin views over `object::read::elf`: header facts, dynamic section,
//! notes, GNU properties, symbols and GNU symbol versions.
