package dev.gatun.bench;

import java.util.List;

/**
 * The texts every MiniLM measurement embeds, Gatun and ONNX Runtime alike: 32 English
 * sentences of 6 to 40 words (about 9 to 50 tokens), the kind of text a semantic search
 * indexes.
 */
public final class Sentences {
    /** The batch: 32 sentences, in a fixed order. */
    public static final List<String> BATCH = List.of(
            "The cat sits on the mat.",
            "A feline rests on a rug near the window.",
            "Stock prices fell sharply after the central bank raised interest rates again.",
            "How do I reset my password if I no longer have access to my email?",
            "The train to Lisbon leaves at seven in the morning from platform four.",
            "Photosynthesis converts light energy into chemical energy stored in glucose.",
            "She played the cello at the wedding.",
            "Our quarterly revenue grew by twelve percent, driven mostly by subscriptions"
                    + " in Europe and Asia.",
            "Add two cups of flour, a pinch of salt and stir until the dough is smooth.",
            "The museum is closed on Mondays.",
            "Machine learning models can inherit biases present in their training data.",
            "Please find attached the signed contract and the invoice for March.",
            "Heavy rain is expected across the northern regions tomorrow afternoon, with"
                    + " local flooding possible near rivers.",
            "Which programming language should I learn first?",
            "The patient reported mild headaches and fatigue over the past two weeks.",
            "He fixed the bike with a wrench and some patience.",
            "Solar panels on the roof now cover most of the building's electricity use"
                    + " during the summer months.",
            "Where is the nearest pharmacy that is open at night?",
            "The committee postponed its decision until more evidence is available.",
            "Birds migrate south when the days grow shorter.",
            "This laptop's battery lasts about ten hours of video playback.",
            "The novel follows three generations of a family living on a small island, from"
                    + " the end of the war to the arrival of the first tourists, and the"
                    + " secrets they keep from each other.",
            "Refunds are issued within five business days.",
            "The bridge was designed to withstand earthquakes of magnitude eight.",
            "I would like to book a table for four people on Friday evening.",
            "Vaccines train the immune system to recognise a pathogen.",
            "The server returned an unexpected error while processing the request.",
            "Children learn languages faster than adults in many studies.",
            "The orchestra tuned their instruments before the concert began.",
            "Please update the shipping address on my latest order.",
            "Quantum computers use qubits that can exist in superpositions of states.",
            "The river flooded the village last spring.");

    /**
     * Four paragraphs of about 130 words (150 to 158 tokens each, 614 in all), the kind of
     * text a document search embeds whole: past the short-sequence paths (up to 128 tokens)
     * that the 32 sentences take.
     */
    public static final List<String> LONG = List.of(
            "The harbour town grew around a single stone pier built by fishermen who"
                    + " needed shelter from the winter storms. Over two centuries the pier was"
                    + " extended three times, first for the sailing ships that carried salt"
                    + " and timber, then for steamers bringing coal, and finally for the ferry"
                    + " that still links the town to the islands. Each extension left its mark:"
                    + " the old granite blocks near the shore are worn smooth, the middle"
                    + " section is patched with brick, and the newest part is plain concrete"
                    + " with steel rails. Local historians argue about the date of the first"
                    + " wall, because the parish records burned in a fire, but everyone agrees"
                    + " that without the pier there would be no town, no market square and no"
                    + " reason for the railway to have ended here at all.",
            "To configure the backup service, first create a storage bucket and"
                    + " give the service account permission to write objects into it. Then"
                    + " edit the configuration file and set the retention period, the schedule"
                    + " and the list of folders to include. Folders that change often, such as"
                    + " build outputs or caches, should be excluded, since they make every"
                    + " snapshot larger without adding anything you would restore. After"
                    + " saving the file, run the service once by hand and check the log for"
                    + " warnings about skipped files or missing permissions. If the first run"
                    + " succeeds, enable the timer so that backups happen every night. Finally,"
                    + " test a restore into an empty folder: a backup that has never been"
                    + " restored is only a hope, and the time to find out is before you need"
                    + " it.",
            "Clinical trials of the new treatment enrolled just over four hundred"
                    + " adults with moderate symptoms, divided at random into two groups. One"
                    + " group received the drug for twelve weeks and the other a placebo that"
                    + " looked and tasted the same. Neither the patients nor the doctors who"
                    + " assessed them knew which group anyone was in. At the end of the"
                    + " period, symptoms had improved in both groups, as they often do, but"
                    + " the improvement was larger and more lasting among those who had taken"
                    + " the drug. Side effects were mostly mild, such as headaches and nausea"
                    + " in the first days, although a small number of patients stopped early."
                    + " The authors caution that the trial was short, that older patients"
                    + " were few, and that a longer study is needed before firm conclusions"
                    + " about safety can be drawn.",
            "Our team spent the quarter moving the billing system off the old"
                    + " database. The work began with a copy of the data kept in sync by a"
                    + " change stream, so that both systems could run side by side while we"
                    + " compared their answers. For six weeks every invoice was computed twice,"
                    + " and each difference was traced to its cause: rounding rules, time"
                    + " zones, and one discount that had been applied twice for years without"
                    + " anyone noticing. Once the two systems agreed for a full month, we"
                    + " switched reads to the new database, then writes, and finally removed"
                    + " the old one. Customers saw no downtime. The lesson we took away is that"
                    + " the comparison phase, which felt slow at the time, was the part that"
                    + " made the switch itself uneventful.");

    private Sentences() {}
}
