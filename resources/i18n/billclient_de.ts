<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>AccountPanel</name>
    <message>
        <source>Choose an account</source>
        <translation>Wählen Sie ein Konto</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <source>Balances</source>
        <translation>Guthaben</translation>
    </message>
    <message>
        <source>Spending limits</source>
        <translation>Ausgabenlimits</translation>
    </message>
    <message>
        <source>&amp;Adjust…</source>
        <translation>&amp;Korrigieren…</translation>
    </message>
    <message>
        <source>Adjust the balance</source>
        <translation>Guthaben korrigieren</translation>
    </message>
    <message>
        <source>&amp;Suspend…</source>
        <translation>&amp;Sperren…</translation>
    </message>
    <message>
        <source>Suspend the account</source>
        <translation>Das Konto sperren</translation>
    </message>
    <message>
        <source>Clear &amp;limits…</source>
        <translation>&amp;Limits entfernen…</translation>
    </message>
    <message>
        <source>Clear the spending limits</source>
        <translation>Die Ausgabenlimits entfernen</translation>
    </message>
    <message>
        <source>Re&amp;fresh</source>
        <translation>A&amp;ktualisieren</translation>
    </message>
    <message>
        <source>Read the account again</source>
        <translation>Das Konto erneut lesen</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Account lists</source>
        <translation>Kontolisten</translation>
    </message>
    <message>
        <source>Live sessions</source>
        <translation>Laufende Sitzungen</translation>
    </message>
    <message>
        <source>Charge records</source>
        <translation>Gebührendatensätze</translation>
    </message>
    <message>
        <source>Audit trail</source>
        <translation>Prüfprotokoll</translation>
    </message>
    <message>
        <source>Reason for ending the session</source>
        <translation>Grund für das Beenden der Sitzung</translation>
    </message>
    <message>
        <source>Reason for ending (required)</source>
        <translation>Grund für das Beenden (erforderlich)</translation>
    </message>
    <message>
        <source>&amp;End session…</source>
        <translation>Sitzung &amp;beenden…</translation>
    </message>
    <message>
        <source>End the selected session</source>
        <translation>Die ausgewählte Sitzung beenden</translation>
    </message>
    <message>
        <source>Daily limit</source>
        <translation>Tageslimit</translation>
    </message>
    <message>
        <source>Monthly limit</source>
        <translation>Monatslimit</translation>
    </message>
    <message>
        <source>%1: none</source>
        <translation>%1: keines</translation>
    </message>
    <message>
        <source>the account&apos;s user</source>
        <translation>dem Benutzer des Kontos</translation>
    </message>
    <message>
        <source>its parent account</source>
        <translation>dem übergeordneten Konto</translation>
    </message>
    <message>
        <source>the operator</source>
        <translation>dem Betreiber</translation>
    </message>
    <message>
        <source> (set by %1)</source>
        <translation> (gesetzt von %1)</translation>
    </message>
    <message>
        <source>Account status: %1</source>
        <translation>Kontostatus: %1</translation>
    </message>
    <message>
        <source>Balance %1 · reserved %2 · available %3</source>
        <translation>Guthaben %1 · reserviert %2 · verfügbar %3</translation>
    </message>
    <message>
        <source> · credit limit %1</source>
        <translation> · Kreditlimit %1</translation>
    </message>
    <message>
        <source> · plan %1</source>
        <translation> · Tarif %1</translation>
    </message>
    <message>
        <source>Re&amp;sume…</source>
        <translation>&amp;Wieder freigeben…</translation>
    </message>
    <message>
        <source>Resume the account</source>
        <translation>Das Konto wieder freigeben</translation>
    </message>
    <message>
        <source>Credit %1 to %2?</source>
        <translation>%1 an %2 gutschreiben?</translation>
    </message>
    <message>
        <source>Debit %1 from %2?</source>
        <translation>%1 von %2 abbuchen?</translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation>Grund: %1</translation>
    </message>
    <message>
        <source>The adjustment was not made: %1</source>
        <translation>Die Korrektur wurde nicht vorgenommen: %1</translation>
    </message>
    <message>
        <source>Adjusted by %1; balance now %2.</source>
        <translation>Um %1 korrigiert; Guthaben jetzt %2.</translation>
    </message>
    <message>
        <source>Resume %1? Its users can start services again.</source>
        <translation>%1 wieder freigeben? Seine Nutzer können wieder Dienste starten.</translation>
    </message>
    <message>
        <source>Suspend %1? Its running sessions end now and none can start.</source>
        <translation>%1 sperren? Seine laufenden Sitzungen enden jetzt und keine kann starten.</translation>
    </message>
    <message>
        <source>The account is now %1.</source>
        <translation>Das Konto ist jetzt %1.</translation>
    </message>
    <message>
        <source>Remove %1&apos;s spending limits? Its services then stop only when its money runs out.</source>
        <translation>Die Ausgabenlimits von %1 entfernen? Seine Dienste stoppen dann erst, wenn das Geld aufgebraucht ist.</translation>
    </message>
    <message>
        <source>The spending limits are cleared.</source>
        <translation>Die Ausgabenlimits sind entfernt.</translation>
    </message>
    <message>
        <source>Choose a live session first.</source>
        <translation>Wählen Sie zuerst eine laufende Sitzung.</translation>
    </message>
    <message>
        <source>Give a reason for ending the session.</source>
        <translation>Geben Sie einen Grund für das Beenden der Sitzung an.</translation>
    </message>
    <message>
        <source>End %1&apos;s %2 session now? It is charged for what was used so far.</source>
        <translation>Die Sitzung %2 von %1 jetzt beenden? Berechnet wird, was bisher genutzt wurde.</translation>
    </message>
    <message>
        <source>End the session</source>
        <translation>Die Sitzung beenden</translation>
    </message>
    <message>
        <source>Session ended; charged %1.</source>
        <translation>Sitzung beendet; berechnet: %1.</translation>
    </message>
</context>
<context>
    <name>AdjustDialog</name>
    <message>
        <source>Adjust %1</source>
        <translation>%1 korrigieren</translation>
    </message>
    <message>
        <source>Adjust the balance</source>
        <translation>Guthaben korrigieren</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Betrag</translation>
    </message>
    <message>
        <source>e.g. 5 to credit, -2.50 to debit</source>
        <translation>z. B. 5 für eine Gutschrift, -2,50 für eine Abbuchung</translation>
    </message>
    <message>
        <source>&amp;Amount</source>
        <translation>&amp;Betrag</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Grund</translation>
    </message>
    <message>
        <source>Required: why (kept in the audit trail)</source>
        <translation>Erforderlich: warum (wird im Prüfprotokoll festgehalten)</translation>
    </message>
    <message>
        <source>&amp;Reason</source>
        <translation>&amp;Grund</translation>
    </message>
    <message>
        <source>Enter a non-zero amount of at most 1000000 either way.</source>
        <translation>Geben Sie einen Betrag ungleich null von höchstens 1000000 in beide Richtungen ein.</translation>
    </message>
    <message>
        <source>Say why: a reason is required.</source>
        <translation>Sagen Sie, warum: Ein Grund ist erforderlich.</translation>
    </message>
</context>
<context>
    <name>AdviceDialog</name>
    <message>
        <source>Start %1?</source>
        <translation>%1 starten?</translation>
    </message>
    <message>
        <source>Advice of charge</source>
        <translation>Kostenhinweis</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>Preis</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>Setup fee per session:</source>
        <translation>Einrichtungsgebühr pro Sitzung:</translation>
    </message>
    <message>
        <source>Minimum charge:</source>
        <translation>Mindestgebühr:</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>%1 costs now:</source>
        <translation>%1 kostet jetzt:</translation>
    </message>
    <message>
        <source>What the balance buys</source>
        <translation>Was das Guthaben kauft</translation>
    </message>
    <message>
        <source>Your balance buys:</source>
        <translation>Ihr Guthaben reicht für:</translation>
    </message>
    <message>
        <source>Asking the server for a quote</source>
        <translation>Der Server wird nach dem Preis gefragt</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>&amp;Starten</translation>
    </message>
    <message>
        <source>Start %1</source>
        <translation>%1 starten</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>No quote: %1</source>
        <translation>Kein Preis: %1</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>as much as you like: this service is free</source>
        <translation>so viel Sie möchten: Dieser Dienst ist kostenlos</translation>
    </message>
    <message>
        <source>nothing: top up before starting</source>
        <translation>nichts: Laden Sie vor dem Start auf</translation>
    </message>
    <message>
        <source>about %1</source>
        <translation>etwa %1</translation>
    </message>
    <message>
        <source>(available %1)</source>
        <translation>(verfügbar %1)</translation>
    </message>
</context>
<context>
    <name>AppShell</name>
    <message>
        <source>%1 session(s) from an earlier run were settled.</source>
        <translation>%1 Sitzung(en) aus einem früheren Lauf wurden abgerechnet.</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Abmelden</translation>
    </message>
    <message>
        <source>%1 session(s) are running. End them and sign out?</source>
        <translation>%1 Sitzung(en) laufen. Beenden und abmelden?</translation>
    </message>
    <message>
        <source>Signed out here, but the server was not told: %1</source>
        <translation>Hier abgemeldet, aber der Server wurde nicht benachrichtigt: %1</translation>
    </message>
    <message>
        <source>Keep running?</source>
        <translation>Weiterlaufen lassen?</translation>
    </message>
    <message>
        <source>%1 session(s) are running. Keep them running in the tray? (You will not be asked again.)</source>
        <translation>%1 Sitzung(en) laufen. Im Infobereich weiterlaufen lassen? (Sie werden nicht noch einmal gefragt.)</translation>
    </message>
    <message>
        <source>Still running</source>
        <translation>Läuft noch</translation>
    </message>
    <message>
        <source>%1 session(s) keep running; the tray icon brings the window back.</source>
        <translation>%1 Sitzung(en) laufen weiter; das Symbol im Infobereich holt das Fenster zurück.</translation>
    </message>
    <message>
        <source>End sessions?</source>
        <translation>Sitzungen beenden?</translation>
    </message>
    <message>
        <source>%1 session(s) are running. End them and quit?</source>
        <translation>%1 Sitzung(en) laufen. Beenden und die Anwendung schließen?</translation>
    </message>
</context>
<context>
    <name>BalanceChart</name>
    <message>
        <source>the last hour</source>
        <translation>der letzten Stunde</translation>
    </message>
    <message>
        <source>the last 24 hours</source>
        <translation>den letzten 24 Stunden</translation>
    </message>
    <message>
        <source>the last 30 days</source>
        <translation>den letzten 30 Tagen</translation>
    </message>
    <message>
        <source>Balance and spend over %1</source>
        <translation>Guthaben und Ausgaben in %1</translation>
    </message>
    <message>
        <source>Balance now %1; spent in %2: %3</source>
        <translation>Guthaben jetzt %1; ausgegeben in %2: %3</translation>
    </message>
    <message>
        <source>account opened %1</source>
        <translation>Konto eröffnet am %1</translation>
    </message>
    <message>
        <source>Balance</source>
        <translation>Guthaben</translation>
    </message>
    <message>
        <source>Spent</source>
        <translation>Ausgegeben</translation>
    </message>
    <message>
        <source>No figures yet</source>
        <translation>Noch keine Zahlen</translation>
    </message>
    <message>
        <source>Account opened</source>
        <translation>Konto eröffnet</translation>
    </message>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source>-%1 d</source>
        <translation>-%1 T</translation>
    </message>
    <message>
        <source>-%1 h</source>
        <translation>-%1 Std.</translation>
    </message>
    <message>
        <source>-%1 min</source>
        <translation>-%1 Min.</translation>
    </message>
</context>
<context>
    <name>BarChart</name>
    <message>
        <source>Nothing spent</source>
        <translation>Nichts ausgegeben</translation>
    </message>
</context>
<context>
    <name>CdrDetailDialog</name>
    <message>
        <source>Charge record %1</source>
        <translation>Gebührendatensatz %1</translation>
    </message>
    <message>
        <source>Charge record details</source>
        <translation>Details des Gebührendatensatzes</translation>
    </message>
    <message>
        <source>Price windows crossed</source>
        <translation>Durchlaufene Preisfenster</translation>
    </message>
    <message>
        <source>Billed units</source>
        <translation>Abgerechnete Einheiten</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>Preis</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>Zeitfenster</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Betrag</translation>
    </message>
    <message>
        <source>Prices applied</source>
        <translation>Angewandte Preise</translation>
    </message>
    <message>
        <source>How the charge adds up</source>
        <translation>Wie sich die Gebühr zusammensetzt</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>%1: %2 charged</source>
        <translation>%1: %2 berechnet</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Datensatz</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Dienst</translation>
    </message>
    <message>
        <source>Plan</source>
        <translation>Tarif</translation>
    </message>
    <message>
        <source>%1, version %2</source>
        <translation>%1, Version %2</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <source>%1 to %2 (%3)</source>
        <translation>%1 bis %2 (%3)</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>Genutzt</translation>
    </message>
    <message>
        <source>Not charged</source>
        <translation>Nicht berechnet</translation>
    </message>
    <message>
        <source>%1 beyond what the balance covered</source>
        <translation>%1 über das hinaus, was das Guthaben deckte</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Handled by</source>
        <translation>Bearbeitet von</translation>
    </message>
    <message>
        <source>Corrects</source>
        <translation>Korrigiert</translation>
    </message>
    <message>
        <source>record %1 (late usage was added)</source>
        <translation>Datensatz %1 (späte Nutzung wurde ergänzt)</translation>
    </message>
    <message>
        <source>base price</source>
        <translation>Grundpreis</translation>
    </message>
    <message>
        <source>The service is no longer in your plan, so the rate cannot be shown; the record&apos;s own figures are above.</source>
        <translation>Der Dienst ist nicht mehr in Ihrem Tarif, daher kann der Preis nicht gezeigt werden; die Zahlen des Datensatzes stehen oben.</translation>
    </message>
    <message>
        <source>Usage %1</source>
        <translation>Nutzung %1</translation>
    </message>
    <message>
        <source>setup fee %1</source>
        <translation>Einrichtungsgebühr %1</translation>
    </message>
    <message>
        <source>%1 is less than the minimum charge, so %2 is charged</source>
        <translation>%1 liegt unter der Mindestgebühr, daher werden %2 berechnet</translation>
    </message>
    <message>
        <source> (above the minimum charge of %1)</source>
        <translation> (über der Mindestgebühr von %1)</translation>
    </message>
    <message>
        <source>; rounded: %1.</source>
        <translation>; gerundet: %1.</translation>
    </message>
    <message>
        <source>The record says %1: the plan&apos;s prices have changed since it was rated.</source>
        <translation>Der Datensatz nennt %1: Die Preise des Tarifs haben sich seit der Berechnung geändert.</translation>
    </message>
</context>
<context>
    <name>ConnectionIndicator</name>
    <message>
        <source>last synced at %1</source>
        <translation>zuletzt abgeglichen um %1</translation>
    </message>
    <message>
        <source>not synced yet</source>
        <translation>noch nicht abgeglichen</translation>
    </message>
    <message>
        <source>Live on secondary</source>
        <translation>Live auf dem Ersatzserver</translation>
    </message>
    <message>
        <source>Live on primary</source>
        <translation>Live auf dem Hauptserver</translation>
    </message>
    <message>
        <source>Reconnecting</source>
        <translation>Verbindung wird wiederhergestellt</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation>Verbindung wird hergestellt</translation>
    </message>
    <message>
        <source>Connected to primary</source>
        <translation>Mit dem Hauptserver verbunden</translation>
    </message>
    <message>
        <source>Connected to secondary</source>
        <translation>Mit dem Ersatzserver verbunden</translation>
    </message>
    <message>
        <source>Connection: %1</source>
        <translation>Verbindung: %1</translation>
    </message>
</context>
<context>
    <name>DashboardView</name>
    <message>
        <source>Account name</source>
        <translation>Kontoname</translation>
    </message>
    <message>
        <source>Available</source>
        <translation>Verfügbar</translation>
    </message>
    <message>
        <source>Nearest spending limit</source>
        <translation>Nächstes Ausgabenlimit</translation>
    </message>
    <message>
        <source>Credit used</source>
        <translation>Genutzter Kredit</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Time to empty</source>
        <translation>Zeit bis leer</translation>
    </message>
    <message>
        <source>Daily limit</source>
        <translation>Tageslimit</translation>
    </message>
    <message>
        <source>Monthly limit</source>
        <translation>Monatslimit</translation>
    </message>
    <message>
        <source>Postpaid</source>
        <translation>Nachträglich abgerechnet</translation>
    </message>
    <message>
        <source>Prepaid</source>
        <translation>Vorausbezahlt</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>Ausstehend</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inaktiv</translation>
    </message>
    <message>
        <source>Account status: %1</source>
        <translation>Kontostatus: %1</translation>
    </message>
    <message>
        <source>This account is not active: you can look at it, but services cannot start. Contact support to activate it.</source>
        <translation>Dieses Konto ist nicht aktiv: Sie können es ansehen, aber keine Dienste starten. Wenden Sie sich an den Support, um es zu aktivieren.</translation>
    </message>
    <message>
        <source>Available balance: %1</source>
        <translation>Verfügbares Guthaben: %1</translation>
    </message>
    <message>
        <source>Last known balance, as of %1 (not current)</source>
        <translation>Letztes bekanntes Guthaben, Stand %1 (nicht aktuell)</translation>
    </message>
    <message>
        <source>Last known balance, not current: %1</source>
        <translation>Letztes bekanntes Guthaben, nicht aktuell: %1</translation>
    </message>
    <message>
        <source>Reserved for running services: %1</source>
        <translation>Für laufende Dienste reserviert: %1</translation>
    </message>
    <message>
        <source>Credit used: %1 of %2</source>
        <translation>Genutzter Kredit: %1 von %2</translation>
    </message>
    <message>
        <source>No service running: nothing is being spent.</source>
        <translation>Kein Dienst läuft: Es wird nichts ausgegeben.</translation>
    </message>
    <message>
        <source>At the current prices the balance lasts more than a month.</source>
        <translation>Zu den aktuellen Preisen reicht das Guthaben länger als einen Monat.</translation>
    </message>
    <message>
        <source>Measuring the rate of spending…</source>
        <translation>Der Verbrauch wird gemessen…</translation>
    </message>
    <message>
        <source>At the current rate the balance lasts about %1.</source>
        <translation>Beim aktuellen Verbrauch reicht das Guthaben noch etwa %1 lang.</translation>
    </message>
</context>
<context>
    <name>GatewayPanel</name>
    <message>
        <source>Delivery of %1</source>
        <translation>Lieferung von %1</translation>
    </message>
    <message>
        <source>Delivery state</source>
        <translation>Lieferstatus</translation>
    </message>
    <message>
        <source>Download progress</source>
        <translation>Download-Fortschritt</translation>
    </message>
    <message>
        <source>Messages sent</source>
        <translation>Gesendete Nachrichten</translation>
    </message>
    <message>
        <source>Stream: connecting…</source>
        <translation>Stream: Verbindung wird hergestellt…</translation>
    </message>
    <message>
        <source>Name of the file to download</source>
        <translation>Name der herunterzuladenden Datei</translation>
    </message>
    <message>
        <source>File name</source>
        <translation>Dateiname</translation>
    </message>
    <message>
        <source>&amp;Download</source>
        <translation>&amp;Herunterladen</translation>
    </message>
    <message>
        <source>Name a file to download.</source>
        <translation>Nennen Sie eine Datei zum Herunterladen.</translation>
    </message>
    <message>
        <source>Type a message</source>
        <translation>Eine Nachricht eingeben</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
    <message>
        <source>S&amp;end</source>
        <translation>S&amp;enden</translation>
    </message>
    <message>
        <source>Each message sent is one event.</source>
        <translation>Jede gesendete Nachricht ist ein Ereignis.</translation>
    </message>
    <message>
        <source>Stream: playing (%1 received)</source>
        <translation>Stream: läuft (%1 empfangen)</translation>
    </message>
    <message>
        <source>Stream: paused, waiting for a grant (%1 received)</source>
        <translation>Stream: pausiert, wartet auf eine Zuteilung (%1 empfangen)</translation>
    </message>
    <message>
        <source>Stream: ended (%1 received)</source>
        <translation>Stream: beendet (%1 empfangen)</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>In %1 gespeichert</translation>
    </message>
    <message>
        <source>Paused: %1</source>
        <translation>Pausiert: %1</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>wartet</translation>
    </message>
    <message>
        <source>Stopped: %1</source>
        <translation>Gestoppt: %1</translation>
    </message>
    <message>
        <source>ended</source>
        <translation>beendet</translation>
    </message>
    <message>
        <source>Downloading…</source>
        <translation>Wird heruntergeladen…</translation>
    </message>
    <message>
        <source>Waiting for a grant to send the next message…</source>
        <translation>Es wird auf eine Zuteilung gewartet, um die nächste Nachricht zu senden…</translation>
    </message>
    <message>
        <source>The session has ended.</source>
        <translation>Die Sitzung ist beendet.</translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) sent.</source>
        <translation>
            <numerusform>%n Nachricht gesendet.</numerusform>
            <numerusform>%n Nachrichten gesendet.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>GuiContext</name>
    <message>
        <source>Unexpected error: %1</source>
        <translation>Unerwarteter Fehler: %1</translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message>
        <source>History</source>
        <translation>Verlauf</translation>
    </message>
    <message>
        <source>&amp;Top up…</source>
        <translation>&amp;Aufladen…</translation>
    </message>
    <message>
        <source>Top up the balance</source>
        <translation>Guthaben aufladen</translation>
    </message>
    <message>
        <source>History lists</source>
        <translation>Verlaufslisten</translation>
    </message>
    <message>
        <source>Charge records</source>
        <translation>Gebührendatensätze</translation>
    </message>
    <message>
        <source>Statement</source>
        <translation>Kontoauszug</translation>
    </message>
    <message>
        <source>&amp;Details…</source>
        <translation>&amp;Details…</translation>
    </message>
    <message>
        <source>Explain the selected charge record</source>
        <translation>Den ausgewählten Gebührendatensatz erklären</translation>
    </message>
    <message>
        <source>Charges</source>
        <translation>Gebühren</translation>
    </message>
    <message>
        <source>History status</source>
        <translation>Verlaufsstatus</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>Refresh %1</source>
        <translation>%1 aktualisieren</translation>
    </message>
    <message>
        <source>&amp;Export CSV…</source>
        <translation>Als CSV &amp;exportieren…</translation>
    </message>
    <message>
        <source>Export %1 as CSV</source>
        <translation>%1 als CSV exportieren</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>Could not load the history: %1</source>
        <translation>Der Verlauf konnte nicht geladen werden: %1</translation>
    </message>
    <message>
        <source> (scroll for more)</source>
        <translation> (für mehr blättern)</translation>
    </message>
    <message numerus="yes">
        <source>%n charge record(s)</source>
        <translation>
            <numerusform>%n Gebührendatensatz</numerusform>
            <numerusform>%n Gebührendatensätze</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n statement line(s)</source>
        <translation>
            <numerusform>%n Zeile im Kontoauszug</numerusform>
            <numerusform>%n Zeilen im Kontoauszug</numerusform>
        </translation>
    </message>
    <message>
        <source>Choose a charge record first.</source>
        <translation>Wählen Sie zuerst einen Gebührendatensatz.</translation>
    </message>
    <message>
        <source>Export as CSV</source>
        <translation>Als CSV exportieren</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <source>Saved %1 rows to %2</source>
        <translation>%1 Zeilen in %2 gespeichert</translation>
    </message>
</context>
<context>
    <name>InsightView</name>
    <message>
        <source>Spending</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Aktualisieren</translation>
    </message>
    <message>
        <source>Refresh the spending figures</source>
        <translation>Die Ausgabenzahlen aktualisieren</translation>
    </message>
    <message>
        <source>Spending views</source>
        <translation>Ausgabenansichten</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>Diagramme</translation>
    </message>
    <message>
        <source>Tables</source>
        <translation>Tabellen</translation>
    </message>
    <message>
        <source>Spend per day, last 30 days</source>
        <translation>Ausgaben pro Tag, letzte 30 Tage</translation>
    </message>
    <message>
        <source>Spend per service, this month</source>
        <translation>Ausgaben pro Dienst, dieser Monat</translation>
    </message>
    <message>
        <source>Per day, last 30 days</source>
        <translation>Pro Tag, letzte 30 Tage</translation>
    </message>
    <message>
        <source>Per service, this month</source>
        <translation>Pro Dienst, dieser Monat</translation>
    </message>
    <message>
        <source>Balance, last 30 days</source>
        <translation>Guthaben, letzte 30 Tage</translation>
    </message>
    <message>
        <source>Spending tables</source>
        <translation>Ausgabentabellen</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>Tag</translation>
    </message>
    <message>
        <source>Spent</source>
        <translation>Ausgegeben</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Dienst</translation>
    </message>
    <message>
        <source>Charge records</source>
        <translation>Gebührendatensätze</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Ab</translation>
    </message>
    <message>
        <source>Balance</source>
        <translation>Guthaben</translation>
    </message>
    <message>
        <source>Spend per day</source>
        <translation>Ausgaben pro Tag</translation>
    </message>
    <message>
        <source>Spend per service this month</source>
        <translation>Ausgaben pro Dienst in diesem Monat</translation>
    </message>
    <message>
        <source>Balance over time</source>
        <translation>Guthabenverlauf</translation>
    </message>
    <message>
        <source>Per day</source>
        <translation>Pro Tag</translation>
    </message>
    <message>
        <source>Per service</source>
        <translation>Pro Dienst</translation>
    </message>
    <message>
        <source>Reading your records…</source>
        <translation>Ihre Aufzeichnungen werden gelesen…</translation>
    </message>
    <message>
        <source>The records could not be read: %1</source>
        <translation>Die Aufzeichnungen konnten nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>Reading your records… %1 read</source>
        <translation>Ihre Aufzeichnungen werden gelesen… %1 gelesen</translation>
    </message>
    <message>
        <source>As of %1, from the server&apos;s records.</source>
        <translation>Stand %1, aus den Aufzeichnungen des Servers.</translation>
    </message>
    <message>
        <source>This month: …</source>
        <translation>Dieser Monat: …</translation>
    </message>
    <message>
        <source>Last 30 days: …</source>
        <translation>Letzte 30 Tage: …</translation>
    </message>
    <message>
        <source>This month: %1</source>
        <translation>Dieser Monat: %1</translation>
    </message>
    <message>
        <source>Last 30 days: %1</source>
        <translation>Letzte 30 Tage: %1</translation>
    </message>
    <message>
        <source>30 days, %1 in all.</source>
        <translation>30 Tage, insgesamt %1.</translation>
    </message>
    <message>
        <source>Most on %1: %2.</source>
        <translation>Am meisten am %1: %2.</translation>
    </message>
    <message>
        <source>%1: %2 in %3 charge record(s)</source>
        <translation>%1: %2 in %3 Gebührendatensatz/-sätzen</translation>
    </message>
    <message>
        <source>Nothing spent</source>
        <translation>Nichts ausgegeben</translation>
    </message>
</context>
<context>
    <name>InvoiceDetail</name>
    <message>
        <source>Invoice</source>
        <translation>Rechnung</translation>
    </message>
    <message>
        <source>Invoice dates</source>
        <translation>Rechnungsdaten</translation>
    </message>
    <message>
        <source>Invoice lines by service</source>
        <translation>Rechnungsposten nach Dienst</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Beschreibung</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <source>Records</source>
        <translation>Datensätze</translation>
    </message>
    <message>
        <source>Units</source>
        <translation>Einheiten</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Betrag</translation>
    </message>
    <message>
        <source>Subtotal</source>
        <translation>Zwischensumme</translation>
    </message>
    <message>
        <source>Tax</source>
        <translation>Steuer</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Summe</translation>
    </message>
    <message>
        <source>Choose an invoice</source>
        <translation>Wählen Sie eine Rechnung</translation>
    </message>
    <message>
        <source>%1 for %2</source>
        <translation>%1 für %2</translation>
    </message>
    <message>
        <source>State: %1</source>
        <translation>Status: %1</translation>
    </message>
    <message>
        <source>Payments received (not part of the total)</source>
        <translation>Erhaltene Zahlungen (nicht Teil der Summe)</translation>
    </message>
    <message>
        <source>%1 to %2 (%3)</source>
        <translation>%1 bis %2 (%3)</translation>
    </message>
    <message>
        <source>Issued %1</source>
        <translation>Ausgestellt am %1</translation>
    </message>
    <message>
        <source>Due %1</source>
        <translation>Fällig am %1</translation>
    </message>
    <message>
        <source>Paid %1</source>
        <translation>Bezahlt am %1</translation>
    </message>
</context>
<context>
    <name>InvoiceTableModel</name>
    <message>
        <source>Period</source>
        <translation>Zeitraum</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>Summe</translation>
    </message>
    <message>
        <source>Tax</source>
        <translation>Steuer</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>Fällig</translation>
    </message>
    <message>
        <source>Draft</source>
        <translation>Entwurf</translation>
    </message>
    <message>
        <source>Issued</source>
        <translation>Ausgestellt</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Bezahlt</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>Überfällig</translation>
    </message>
    <message>
        <source>Invoice</source>
        <translation>Rechnung</translation>
    </message>
    <message>
        <source>Statement</source>
        <translation>Kontoauszug</translation>
    </message>
    <message>
        <source>Adjustments</source>
        <translation>Korrekturen</translation>
    </message>
</context>
<context>
    <name>InvoicesView</name>
    <message>
        <source>Invoices</source>
        <translation>Rechnungen</translation>
    </message>
    <message>
        <source>Invoice list status</source>
        <translation>Status der Rechnungsliste</translation>
    </message>
    <message>
        <source>Search invoices</source>
        <translation>Rechnungen durchsuchen</translation>
    </message>
    <message>
        <source>Month, kind or state</source>
        <translation>Monat, Art oder Status</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>&amp;Suchen</translation>
    </message>
    <message>
        <source>Show invoices in state</source>
        <translation>Rechnungen mit Status anzeigen</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>Alle Status</translation>
    </message>
    <message>
        <source>S&amp;tate</source>
        <translation>S&amp;tatus</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>Refresh the invoices</source>
        <translation>Die Rechnungen aktualisieren</translation>
    </message>
    <message>
        <source>&amp;View PDF</source>
        <translation>PDF &amp;anzeigen</translation>
    </message>
    <message>
        <source>View the invoice as PDF</source>
        <translation>Die Rechnung als PDF anzeigen</translation>
    </message>
    <message>
        <source>&amp;Pay…</source>
        <translation>&amp;Bezahlen…</translation>
    </message>
    <message>
        <source>Pay the invoice</source>
        <translation>Die Rechnung bezahlen</translation>
    </message>
    <message>
        <source>Invoice action outcome</source>
        <translation>Ergebnis der Rechnungsaktion</translation>
    </message>
    <message>
        <source>Loading invoices…</source>
        <translation>Rechnungen werden geladen…</translation>
    </message>
    <message>
        <source>No invoices or statements yet.</source>
        <translation>Noch keine Rechnungen oder Abrechnungen.</translation>
    </message>
    <message>
        <source>%1 of %2 shown</source>
        <translation>%1 von %2 angezeigt</translation>
    </message>
    <message>
        <source>Cannot read the invoices: %1 Press Refresh to try again.</source>
        <translation>Die Rechnungen können nicht gelesen werden: %1 Drücken Sie Aktualisieren, um es erneut zu versuchen.</translation>
    </message>
    <message>
        <source>Downloading the PDF…</source>
        <translation>PDF wird heruntergeladen…</translation>
    </message>
    <message>
        <source>Saved to %1 and opened.</source>
        <translation>In %1 gespeichert und geöffnet.</translation>
    </message>
    <message>
        <source>Saved to %1 (no PDF viewer could open it).</source>
        <translation>In %1 gespeichert (kein PDF-Betrachter konnte die Datei öffnen).</translation>
    </message>
    <message>
        <source>Paid.</source>
        <translation>Bezahlt.</translation>
    </message>
    <message>
        <source>The card was declined; the invoice is not paid.</source>
        <translation>Die Karte wurde abgelehnt; die Rechnung ist nicht bezahlt.</translation>
    </message>
    <message>
        <source>Payment sent; waiting for the bank.</source>
        <translation>Zahlung gesendet; es wird auf die Bank gewartet.</translation>
    </message>
</context>
<context>
    <name>LimitsPanel</name>
    <message>
        <source>Spending limits</source>
        <translation>Ausgabenlimits</translation>
    </message>
    <message>
        <source>Services stop when a limit is reached, on every device; you are told at 80 % and at 100 %. Top-ups and payments do not count.</source>
        <translation>Dienste stoppen auf jedem Gerät, wenn ein Limit erreicht ist; Sie werden bei 80 % und bei 100 % benachrichtigt. Aufladungen und Zahlungen zählen nicht.</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Heute</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Dieser Monat</translation>
    </message>
    <message>
        <source>Da&amp;ily limit</source>
        <translation>Tages&amp;limit</translation>
    </message>
    <message>
        <source>Mon&amp;thly limit</source>
        <translation>&amp;Monatslimit</translation>
    </message>
    <message>
        <source>No limit</source>
        <translation>Kein Limit</translation>
    </message>
    <message>
        <source>An amount such as 5.00; empty for no limit</source>
        <translation>Ein Betrag wie 5.00; leer für kein Limit</translation>
    </message>
    <message>
        <source>Sa&amp;ve limits</source>
        <translation>Limits spei&amp;chern</translation>
    </message>
    <message>
        <source>Save the spending limits</source>
        <translation>Die Ausgabenlimits speichern</translation>
    </message>
    <message>
        <source>Re&amp;move limits</source>
        <translation>Limits en&amp;tfernen</translation>
    </message>
    <message>
        <source>Remove both spending limits</source>
        <translation>Beide Ausgabenlimits entfernen</translation>
    </message>
    <message>
        <source>Spending limits status</source>
        <translation>Status der Ausgabenlimits</translation>
    </message>
    <message>
        <source>%1 is not an amount: write one such as 5.00, or leave it empty.</source>
        <translation>%1 ist kein Betrag: Schreiben Sie einen wie 5.00, oder lassen Sie das Feld leer.</translation>
    </message>
    <message>
        <source>Spending limits saved.</source>
        <translation>Ausgabenlimits gespeichert.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Dashboard</source>
        <translation>Übersicht</translation>
    </message>
    <message>
        <source>Services</source>
        <translation>Dienste</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Verlauf</translation>
    </message>
    <message>
        <source>Invoices</source>
        <translation>Rechnungen</translation>
    </message>
    <message>
        <source>Spending</source>
        <translation>Ausgaben</translation>
    </message>
    <message>
        <source>Support</source>
        <translation>Support</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Billing</source>
        <translation>Abrechnung</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
    <message>
        <source>&amp;Account</source>
        <translation>&amp;Konto</translation>
    </message>
    <message>
        <source>Sign &amp;out</source>
        <translation>A&amp;bmelden</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
</context>
<context>
    <name>NavBar</name>
    <message>
        <source>Navigation</source>
        <translation>Navigation</translation>
    </message>
    <message>
        <source>Show the %1 page</source>
        <translation>Die Seite %1 anzeigen</translation>
    </message>
</context>
<context>
    <name>PayInvoiceDialog</name>
    <message>
        <source>Visa test card (pays)</source>
        <translation>Visa-Testkarte (zahlt)</translation>
    </message>
    <message>
        <source>Test card that is declined</source>
        <translation>Testkarte, die abgelehnt wird</translation>
    </message>
    <message>
        <source>Test card whose bank does not answer</source>
        <translation>Testkarte, deren Bank nicht antwortet</translation>
    </message>
    <message>
        <source>Pay invoice</source>
        <translation>Rechnung bezahlen</translation>
    </message>
    <message>
        <source>Amount to pay</source>
        <translation>Zu zahlender Betrag</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>Karte</translation>
    </message>
    <message>
        <source>C&amp;ard</source>
        <translation>K&amp;arte</translation>
    </message>
    <message>
        <source>Sandbox payment provider: test cards only.</source>
        <translation>Test-Zahlungsanbieter: nur Testkarten.</translation>
    </message>
    <message>
        <source>&amp;Pay</source>
        <translation>&amp;Bezahlen</translation>
    </message>
    <message>
        <source>Pay</source>
        <translation>Bezahlen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>Pay the invoice for %1, %2 in total (tax %3 included), by card now?</source>
        <translation>Die Rechnung für %1 über insgesamt %2 (inklusive %3 Steuer) jetzt per Karte bezahlen?</translation>
    </message>
    <message>
        <source>%1 Nothing was lost: press Pay again to retry safely.</source>
        <translation>%1 Nichts ging verloren: Drücken Sie erneut auf Bezahlen, um es gefahrlos zu wiederholen.</translation>
    </message>
    <message>
        <source>Paid: %1. The invoice is settled.</source>
        <translation>Bezahlt: %1. Die Rechnung ist beglichen.</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>kein Grund angegeben</translation>
    </message>
    <message>
        <source>The card was declined (%1). Nothing was charged.</source>
        <translation>Die Karte wurde abgelehnt (%1). Es wurde nichts belastet.</translation>
    </message>
    <message>
        <source>The bank has not answered yet. The invoice becomes paid when it does; you do not need to pay again.</source>
        <translation>Die Bank hat noch nicht geantwortet. Die Rechnung gilt als bezahlt, sobald sie antwortet; Sie müssen nicht erneut zahlen.</translation>
    </message>
    <message>
        <source>Paying…</source>
        <translation>Wird bezahlt…</translation>
    </message>
    <message>
        <source>Payment: %1</source>
        <translation>Zahlung: %1</translation>
    </message>
</context>
<context>
    <name>RangeChart</name>
    <message>
        <source>1 hour</source>
        <translation>1 Stunde</translation>
    </message>
    <message>
        <source>24 hours</source>
        <translation>24 Stunden</translation>
    </message>
    <message>
        <source>30 days</source>
        <translation>30 Tage</translation>
    </message>
    <message>
        <source>Show %1</source>
        <translation>%1 anzeigen</translation>
    </message>
</context>
<context>
    <name>RecordTable</name>
    <message>
        <source>Filter…</source>
        <translation>Filtern…</translation>
    </message>
    <message>
        <source>Filter %1</source>
        <translation>%1 filtern</translation>
    </message>
</context>
<context>
    <name>ServicesView</name>
    <message>
        <source>Services</source>
        <translation>Dienste</translation>
    </message>
    <message>
        <source>Loading the catalogue…</source>
        <translation>Der Katalog wird geladen…</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>Laufend</translation>
    </message>
    <message>
        <source>No session running. Start a service to use it.</source>
        <translation>Keine Sitzung läuft. Starten Sie einen Dienst, um ihn zu nutzen.</translation>
    </message>
    <message>
        <source>The catalogue could not be read: %1</source>
        <translation>Der Katalog konnte nicht gelesen werden: %1</translation>
    </message>
    <message>
        <source>Prices of your plan. You see the cost before anything starts.</source>
        <translation>Preise Ihres Tarifs. Sie sehen die Kosten, bevor etwas startet.</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
    <message>
        <source>Start %1</source>
        <translation>%1 starten</translation>
    </message>
    <message>
        <source>The account is not active: services cannot start.</source>
        <translation>Das Konto ist nicht aktiv: Dienste können nicht starten.</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Wird gestartet…</translation>
    </message>
    <message>
        <source>%1 did not start: %2</source>
        <translation>%1 wurde nicht gestartet: %2</translation>
    </message>
</context>
<context>
    <name>SessionCard</name>
    <message>
        <source>Session of %1</source>
        <translation>Sitzung von %1</translation>
    </message>
    <message>
        <source>Granted units used</source>
        <translation>Genutzte zugeteilte Einheiten</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>S&amp;toppen</translation>
    </message>
    <message>
        <source>Stop %1</source>
        <translation>%1 stoppen</translation>
    </message>
    <message>
        <source>&amp;Dismiss</source>
        <translation>&amp;Schließen</translation>
    </message>
    <message>
        <source>Dismiss the %1 session</source>
        <translation>Die Sitzung %1 ausblenden</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>Wird gestoppt…</translation>
    </message>
    <message>
        <source>Charge so far: %1</source>
        <translation>Bisherige Gebühr: %1</translation>
    </message>
    <message>
        <source>Confirmed by the server: %1</source>
        <translation>Vom Server bestätigt: %1</translation>
    </message>
    <message>
        <source>Used: %1</source>
        <translation>Genutzt: %1</translation>
    </message>
    <message>
        <source>%1 of %2 granted</source>
        <translation>%1 von %2 zugeteilt</translation>
    </message>
    <message>
        <source>No billing server answers: the service continues within the units already granted, then stops.</source>
        <translation>Kein Abrechnungsserver antwortet: Der Dienst läuft im Rahmen der bereits zugeteilten Einheiten weiter und endet dann.</translation>
    </message>
    <message>
        <source>Starting</source>
        <translation>Wird gestartet</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>Laufend</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Stopping</source>
        <translation>Wird gestoppt</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Not settled yet</source>
        <translation>Noch nicht abgerechnet</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <source>It could not be settled.</source>
        <translation>Sie konnte nicht abgerechnet werden.</translation>
    </message>
</context>
<context>
    <name>SettingsView</name>
    <message>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <source> (this one)</source>
        <translation> (dieses)</translation>
    </message>
    <message>
        <source>Platform</source>
        <translation>Plattform</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>Angemeldet</translation>
    </message>
    <message>
        <source>Last seen</source>
        <translation>Zuletzt gesehen</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Billing servers</source>
        <translation>Abrechnungsserver</translation>
    </message>
    <message>
        <source>Billing servers, primary first</source>
        <translation>Abrechnungsserver, Hauptserver zuerst</translation>
    </message>
    <message>
        <source>The first is the primary; the others take over when it cannot be reached.</source>
        <translation>Der erste ist der Hauptserver; die anderen übernehmen, wenn er nicht erreichbar ist.</translation>
    </message>
    <message>
        <source>Signed-in devices</source>
        <translation>Angemeldete Geräte</translation>
    </message>
    <message>
        <source>Sign &amp;device out…</source>
        <translation>&amp;Gerät abmelden…</translation>
    </message>
    <message>
        <source>Sign the selected device out</source>
        <translation>Das ausgewählte Gerät abmelden</translation>
    </message>
    <message>
        <source>Sign &amp;out here</source>
        <translation>Hier a&amp;bmelden</translation>
    </message>
    <message>
        <source>Sign this device out</source>
        <translation>Dieses Gerät abmelden</translation>
    </message>
    <message>
        <source>Devices status</source>
        <translation>Gerätestatus</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Passwort</translation>
    </message>
    <message>
        <source>C&amp;urrent password</source>
        <translation>&amp;Aktuelles Passwort</translation>
    </message>
    <message>
        <source>&amp;New password</source>
        <translation>&amp;Neues Passwort</translation>
    </message>
    <message>
        <source>&amp;Repeat new password</source>
        <translation>Neues Passwort &amp;wiederholen</translation>
    </message>
    <message>
        <source>&amp;Change password</source>
        <translation>Passwort ä&amp;ndern</translation>
    </message>
    <message>
        <source>Change password</source>
        <translation>Passwort ändern</translation>
    </message>
    <message>
        <source>Password status</source>
        <translation>Passwortstatus</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <source>Language of the application</source>
        <translation>Sprache der Anwendung</translation>
    </message>
    <message>
        <source>As the system</source>
        <translation>Wie das System</translation>
    </message>
    <message>
        <source>A new language applies at the next start.</source>
        <translation>Eine neue Sprache gilt ab dem nächsten Start.</translation>
    </message>
    <message>
        <source>Versions</source>
        <translation>Versionen</translation>
    </message>
    <message>
        <source>Check for a component &amp;update</source>
        <translation>Nach einer Komponenten-&amp;Aktualisierung suchen</translation>
    </message>
    <message>
        <source>Check for a billing component update</source>
        <translation>Nach einer Aktualisierung der Abrechnungskomponente suchen</translation>
    </message>
    <message>
        <source>primary</source>
        <translation>Hauptserver</translation>
    </message>
    <message>
        <source>secondary</source>
        <translation>Ersatzserver</translation>
    </message>
    <message>
        <source> — in use</source>
        <translation> — in Benutzung</translation>
    </message>
    <message>
        <source>Client %1; billing component %2.</source>
        <translation>Client %1; Abrechnungskomponente %2.</translation>
    </message>
    <message>
        <source>(reading…)</source>
        <translation>(wird gelesen…)</translation>
    </message>
    <message>
        <source>Choose a device first.</source>
        <translation>Wählen Sie zuerst ein Gerät.</translation>
    </message>
    <message>
        <source>This is the device in use: use Sign out here.</source>
        <translation>Dies ist das benutzte Gerät: Verwenden Sie „Hier abmelden“.</translation>
    </message>
    <message>
        <source>Sign a device out</source>
        <translation>Ein Gerät abmelden</translation>
    </message>
    <message>
        <source>Sign %1 out? It must sign in again with the password.</source>
        <translation>%1 abmelden? Das Gerät muss sich mit dem Passwort erneut anmelden.</translation>
    </message>
    <message>
        <source>%1 is signed out.</source>
        <translation>%1 ist abgemeldet.</translation>
    </message>
    <message>
        <source>Enter the current password.</source>
        <translation>Geben Sie das aktuelle Passwort ein.</translation>
    </message>
    <message>
        <source>The new password needs at least %1 characters.</source>
        <translation>Das neue Passwort braucht mindestens %1 Zeichen.</translation>
    </message>
    <message>
        <source>The new passwords differ.</source>
        <translation>Die neuen Passwörter stimmen nicht überein.</translation>
    </message>
    <message>
        <source>Password changed; every other device was signed out.</source>
        <translation>Passwort geändert; alle anderen Geräte wurden abgemeldet.</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>The server&apos;s certificate could not be verified (TLS failure): the address may be wrong, or the server needs a CA file in the settings. %1</source>
        <translation>Das Zertifikat des Servers konnte nicht geprüft werden (TLS-Fehler): Die Adresse ist vielleicht falsch, oder der Server braucht eine CA-Datei in den Einstellungen. %1</translation>
    </message>
    <message>
        <source>No server answered. Check the address and your network. %1</source>
        <translation>Kein Server hat geantwortet. Prüfen Sie die Adresse und Ihr Netzwerk. %1</translation>
    </message>
    <message>
        <source>This account is not active. Contact support to activate it.</source>
        <translation>Dieses Konto ist nicht aktiv. Wenden Sie sich an den Support, um es zu aktivieren.</translation>
    </message>
    <message>
        <source>Too many sign-in attempts. Try again in %1 seconds.</source>
        <translation>Zu viele Anmeldeversuche. Versuchen Sie es in %1 Sekunden erneut.</translation>
    </message>
    <message>
        <source>Wrong login or password.</source>
        <translation>Falscher Anmeldename oder falsches Passwort.</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <source>Sign in to your billing account</source>
        <translation>Bei Ihrem Abrechnungskonto anmelden</translation>
    </message>
    <message>
        <source>Server addresses</source>
        <translation>Serveradressen</translation>
    </message>
    <message>
        <source>One or more addresses, the primary first, separated by spaces</source>
        <translation>Eine oder mehrere Adressen, der Hauptserver zuerst, durch Leerzeichen getrennt</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>Anmeldename</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Passwort</translation>
    </message>
    <message>
        <source>&amp;Servers:</source>
        <translation>&amp;Server:</translation>
    </message>
    <message>
        <source>&amp;Login:</source>
        <translation>&amp;Anmeldename:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Passwort:</translation>
    </message>
    <message>
        <source>Signing in</source>
        <translation>Anmeldung läuft</translation>
    </message>
    <message>
        <source>Sign &amp;in</source>
        <translation>An&amp;melden</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>&amp;Keep me signed in: no keychain is available here, so keep the sign-in in a file only you can read (otherwise it lasts until the app closes)</source>
        <translation>Angemeldet &amp;bleiben: Hier gibt es keinen Schlüsselbund, daher wird die Anmeldung in einer Datei gespeichert, die nur Sie lesen können (sonst gilt sie nur, bis die Anwendung geschlossen wird)</translation>
    </message>
    <message>
        <source>Keep the sign-in in a private file</source>
        <translation>Die Anmeldung in einer privaten Datei speichern</translation>
    </message>
    <message>
        <source>a server address</source>
        <translation>eine Serveradresse</translation>
    </message>
    <message>
        <source>your login</source>
        <translation>Ihren Anmeldenamen</translation>
    </message>
    <message>
        <source>your password</source>
        <translation>Ihr Passwort</translation>
    </message>
    <message>
        <source>Please enter %1.</source>
        <translation>Bitte geben Sie %1 ein.</translation>
    </message>
    <message>
        <source>Signed in, but this account is %1: you can look at it, but services cannot start. Contact support to activate it.</source>
        <translation>Angemeldet, aber dieses Konto ist %1: Sie können es ansehen, aber keine Dienste starten. Wenden Sie sich an den Support, um es zu aktivieren.</translation>
    </message>
    <message>
        <source>&amp;Continue</source>
        <translation>&amp;Fortsetzen</translation>
    </message>
</context>
<context>
    <name>SupportView</name>
    <message>
        <source>Support</source>
        <translation>Support</translation>
    </message>
    <message>
        <source>Search accounts</source>
        <translation>Konten suchen</translation>
    </message>
    <message>
        <source>Account id, name or login</source>
        <translation>Konto-ID, Name oder Anmeldename</translation>
    </message>
    <message>
        <source>Sea&amp;rch</source>
        <translation>Su&amp;chen</translation>
    </message>
    <message>
        <source>Accounts found</source>
        <translation>Gefundene Konten</translation>
    </message>
    <message>
        <source>Search status</source>
        <translation>Suchstatus</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Es wird gesucht…</translation>
    </message>
    <message>
        <source>No account matches.</source>
        <translation>Kein Konto passt.</translation>
    </message>
    <message numerus="yes">
        <source>%n account(s)</source>
        <translation>
            <numerusform>%n Konto</numerusform>
            <numerusform>%n Konten</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TopUpDialog</name>
    <message>
        <source>Visa test card (pays)</source>
        <translation>Visa-Testkarte (zahlt)</translation>
    </message>
    <message>
        <source>Test card that is declined</source>
        <translation>Testkarte, die abgelehnt wird</translation>
    </message>
    <message>
        <source>Test card whose bank does not answer</source>
        <translation>Testkarte, deren Bank nicht antwortet</translation>
    </message>
    <message>
        <source>Top up</source>
        <translation>Aufladen</translation>
    </message>
    <message>
        <source>Top up the balance</source>
        <translation>Guthaben aufladen</translation>
    </message>
    <message>
        <source>How to pay</source>
        <translation>Zahlungsart</translation>
    </message>
    <message>
        <source>&amp;Voucher</source>
        <translation>&amp;Gutschein</translation>
    </message>
    <message>
        <source>&amp;Card</source>
        <translation>&amp;Karte</translation>
    </message>
    <message>
        <source>Sending</source>
        <translation>Wird gesendet</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>&amp;Top up</source>
        <translation>&amp;Aufladen</translation>
    </message>
    <message>
        <source>Voucher code</source>
        <translation>Gutscheincode</translation>
    </message>
    <message>
        <source>e.g. ABCD-1234-EFGH</source>
        <translation>z. B. ABCD-1234-EFGH</translation>
    </message>
    <message>
        <source>Voucher &amp;code</source>
        <translation>Gutschein&amp;code</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Betrag</translation>
    </message>
    <message>
        <source>Other amount</source>
        <translation>Anderer Betrag</translation>
    </message>
    <message>
        <source>Other amount, e.g. 12.50</source>
        <translation>Anderer Betrag, z. B. 12,50</translation>
    </message>
    <message>
        <source>&amp;Other amount</source>
        <translation>&amp;Anderer Betrag</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>Karte</translation>
    </message>
    <message>
        <source>C&amp;ard</source>
        <translation>K&amp;arte</translation>
    </message>
    <message>
        <source>Sandbox payment provider: test cards only.</source>
        <translation>Test-Zahlungsanbieter: nur Testkarten.</translation>
    </message>
    <message>
        <source>Pay %1</source>
        <translation>%1 bezahlen</translation>
    </message>
    <message>
        <source>Enter the voucher&apos;s code.</source>
        <translation>Geben Sie den Gutscheincode ein.</translation>
    </message>
    <message>
        <source>Card amounts are whole cents.</source>
        <translation>Kartenbeträge sind ganze Cent.</translation>
    </message>
    <message>
        <source>Card amounts are from 1.00 to 1000.00.</source>
        <translation>Kartenbeträge liegen zwischen 1,00 und 1000,00.</translation>
    </message>
    <message>
        <source>Enter an amount such as 20 or 12.50.</source>
        <translation>Geben Sie einen Betrag wie 20 oder 12,50 ein.</translation>
    </message>
    <message>
        <source>%1 Nothing was lost: press Top up again to retry safely.</source>
        <translation>%1 Nichts ging verloren: Drücken Sie erneut auf Aufladen, um es gefahrlos zu wiederholen.</translation>
    </message>
    <message>
        <source>%1 added. Available now: %2.</source>
        <translation>%1 gutgeschrieben. Jetzt verfügbar: %2.</translation>
    </message>
    <message>
        <source>The card was declined (%1). Nothing was charged.</source>
        <translation>Die Karte wurde abgelehnt (%1). Es wurde nichts belastet.</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>kein Grund angegeben</translation>
    </message>
    <message>
        <source>The payment of %1 is pending: the card&apos;s bank has not answered yet. It is credited at most once, and you will see here when it settles.</source>
        <translation>Die Zahlung von %1 steht aus: Die Bank der Karte hat noch nicht geantwortet. Sie wird höchstens einmal gutgeschrieben, und Sie sehen hier, wenn sie abgeschlossen ist.</translation>
    </message>
    <message>
        <source>The pending payment went through: %1 added. Available now: %2.</source>
        <translation>Die ausstehende Zahlung ist durchgegangen: %1 gutgeschrieben. Jetzt verfügbar: %2.</translation>
    </message>
    <message>
        <source>The pending payment did not go through (%1). Nothing was charged.</source>
        <translation>Die ausstehende Zahlung ist nicht durchgegangen (%1). Es wurde nichts belastet.</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>%1 left. Top up to keep using services.</source>
        <translation>Noch %1. Laden Sie auf, um Dienste weiter zu nutzen.</translation>
    </message>
    <message>
        <source>%1 left: about %2 at the current rate.</source>
        <translation>Noch %1: etwa %2 beim aktuellen Verbrauch.</translation>
    </message>
    <message>
        <source>Billing</source>
        <translation>Abrechnung</translation>
    </message>
    <message>
        <source>Show window</source>
        <translation>Fenster anzeigen</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message>
        <source>Billing: %1 available</source>
        <translation>Abrechnung: %1 verfügbar</translation>
    </message>
    <message>
        <source>Low balance</source>
        <translation>Niedriges Guthaben</translation>
    </message>
    <message>
        <source>A session was ended</source>
        <translation>Eine Sitzung wurde beendet</translation>
    </message>
    <message>
        <source>Spending limit</source>
        <translation>Ausgabenlimit</translation>
    </message>
</context>
<context>
    <name>_LimitRow</name>
    <message>
        <source>No limit</source>
        <translation>Kein Limit</translation>
    </message>
    <message>
        <source>No limit set.</source>
        <translation>Kein Limit gesetzt.</translation>
    </message>
    <message>
        <source>(set by your parent account: you can lower it)</source>
        <translation>(vom übergeordneten Konto gesetzt: Sie können es senken)</translation>
    </message>
    <message>
        <source>(the operator&apos;s default: you can change it)</source>
        <translation>(Vorgabe des Betreibers: Sie können es ändern)</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>Billing</source>
        <translation>Abrechnung</translation>
    </message>
</context>
<context>
    <name>explain</name>
    <message>
        <source>You stopped it.</source>
        <translation>Sie haben sie gestoppt.</translation>
    </message>
    <message>
        <source>It finished: the requested amount was used.</source>
        <translation>Sie ist fertig: Die gewünschte Menge wurde genutzt.</translation>
    </message>
    <message>
        <source>The balance ran out: the last units it could pay for were used, so it stopped.</source>
        <translation>Das Guthaben war aufgebraucht: Die letzten bezahlbaren Einheiten wurden genutzt, daher endete sie.</translation>
    </message>
    <message>
        <source>The metering gateway closed or refused the service.</source>
        <translation>Das Mess-Gateway hat den Dienst beendet oder abgelehnt.</translation>
    </message>
    <message>
        <source>This app could not continue it and ended it.</source>
        <translation>Diese Anwendung konnte sie nicht fortsetzen und hat sie beendet.</translation>
    </message>
    <message>
        <source>The billing server heard nothing from this device for too long and ended it.</source>
        <translation>Der Abrechnungsserver hat zu lange nichts von diesem Gerät gehört und sie beendet.</translation>
    </message>
    <message>
        <source>The account was suspended, which ends running services.</source>
        <translation>Das Konto wurde gesperrt; damit enden laufende Dienste.</translation>
    </message>
    <message>
        <source>Support ended it.</source>
        <translation>Der Support hat sie beendet.</translation>
    </message>
    <message>
        <source>A spending limit was reached: it stopped at the limit set for this account.</source>
        <translation>Ein Ausgabenlimit wurde erreicht: Der Dienst stoppte an dem für dieses Konto gesetzten Limit.</translation>
    </message>
    <message>
        <source>The operation failed, so it was not charged.</source>
        <translation>Der Vorgang ist fehlgeschlagen und wurde daher nicht berechnet.</translation>
    </message>
    <message>
        <source>It ended.</source>
        <translation>Sie ist beendet.</translation>
    </message>
    <message>
        <source>(%1)</source>
        <translation>(%1)</translation>
    </message>
    <message>
        <source>Nothing was used, so nothing was charged. %1</source>
        <translation>Es wurde nichts genutzt, daher wurde nichts berechnet. %1</translation>
    </message>
    <message>
        <source>Used %1; charged %2.</source>
        <translation>Genutzt %1; berechnet %2.</translation>
    </message>
    <message>
        <source>Used %1, billed as %2 (%3); charged %4.</source>
        <translation>Genutzt %1, abgerechnet als %2 (%3); berechnet %4.</translation>
    </message>
    <message>
        <source>Final grant: the balance covers up to %1 in total; the service stops there.</source>
        <translation>Letzte Zuteilung: Das Guthaben deckt insgesamt bis zu %1; dort endet der Dienst.</translation>
    </message>
</context>
<context>
    <name>formatting</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 d %2 h</source>
        <translation>%1 T %2 Std.</translation>
    </message>
    <message>
        <source>%1 d</source>
        <translation>%1 T</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 Std. %2 Min.</translation>
    </message>
    <message>
        <source>%1 h</source>
        <translation>%1 Std.</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 Min. %2 s</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 Min.</translation>
    </message>
    <message>
        <source>1 byte</source>
        <translation>1 Byte</translation>
    </message>
    <message>
        <source>%1 bytes</source>
        <translation>%1 Bytes</translation>
    </message>
    <message>
        <source>1 event</source>
        <translation>1 Ereignis</translation>
    </message>
    <message>
        <source>%1 events</source>
        <translation>%1 Ereignisse</translation>
    </message>
</context>
<context>
    <name>limits</name>
    <message>
        <source>at midnight</source>
        <translation>um Mitternacht</translation>
    </message>
    <message>
        <source>tomorrow at %1</source>
        <translation>morgen um %1</translation>
    </message>
    <message>
        <source>at %1</source>
        <translation>um %1</translation>
    </message>
    <message>
        <source>on %1</source>
        <translation>am %1</translation>
    </message>
    <message>
        <source>on %1 at %2</source>
        <translation>am %1 um %2</translation>
    </message>
    <message>
        <source>%1 %2 of %3 today, resets %4</source>
        <translation>%1 %2 von %3 heute, beginnt neu %4</translation>
    </message>
    <message>
        <source>%1 %2 of %3 this month, resets %4</source>
        <translation>%1 %2 von %3 in diesem Monat, beginnt neu %4</translation>
    </message>
    <message>
        <source>daily</source>
        <translation>täglich</translation>
    </message>
    <message>
        <source>monthly</source>
        <translation>monatlich</translation>
    </message>
    <message>
        <source>Your %1 spending limit of %2 %3 is reached: services stop until it resets %4.</source>
        <translation>Ihr Ausgabenlimit (%1) von %2 %3 ist erreicht: Dienste stoppen, bis es %4 neu beginnt.</translation>
    </message>
    <message>
        <source>You have spent %1 %2 of your %3 limit of %4 (%5 %); it resets %6.</source>
        <translation>Sie haben %1 %2 Ihres Ausgabenlimits (%3) von %4 ausgegeben (%5 %); es beginnt neu %6.</translation>
    </message>
</context>
<context>
    <name>price</name>
    <message>
        <source>/min</source>
        <translation>/Min.</translation>
    </message>
    <message>
        <source>/h</source>
        <translation>/Std.</translation>
    </message>
    <message>
        <source>/day</source>
        <translation>/Tag</translation>
    </message>
    <message>
        <source> per %1</source>
        <translation> pro %1</translation>
    </message>
    <message>
        <source>/byte</source>
        <translation>/Byte</translation>
    </message>
    <message>
        <source> each</source>
        <translation> je</translation>
    </message>
    <message>
        <source> per %1 events</source>
        <translation> pro %1 Ereignisse</translation>
    </message>
    <message>
        <source>%1 events</source>
        <translation>%1 Ereignisse</translation>
    </message>
    <message>
        <source>the first minute</source>
        <translation>der ersten Minute</translation>
    </message>
    <message>
        <source>the first hour</source>
        <translation>der ersten Stunde</translation>
    </message>
    <message>
        <source>the first %1 events</source>
        <translation>den ersten %1 Ereignissen</translation>
    </message>
    <message>
        <source>the first %1</source>
        <translation>den ersten %1</translation>
    </message>
    <message>
        <source>per second</source>
        <translation>pro Sekunde</translation>
    </message>
    <message>
        <source>per minute</source>
        <translation>pro Minute</translation>
    </message>
    <message>
        <source>per hour</source>
        <translation>pro Stunde</translation>
    </message>
    <message>
        <source>per byte</source>
        <translation>pro Byte</translation>
    </message>
    <message>
        <source>per event</source>
        <translation>pro Ereignis</translation>
    </message>
    <message>
        <source>in %1 steps</source>
        <translation>in Schritten von %1</translation>
    </message>
    <message>
        <source>billed %1</source>
        <translation>abgerechnet %1</translation>
    </message>
    <message>
        <source>%1 after %2</source>
        <translation>%1 nach %2</translation>
    </message>
    <message>
        <source>daily</source>
        <translation>täglich</translation>
    </message>
    <message>
        <source>weekdays</source>
        <translation>werktags</translation>
    </message>
    <message>
        <source>weekends</source>
        <translation>am Wochenende</translation>
    </message>
    <message>
        <source>free</source>
        <translation>kostenlos</translation>
    </message>
    <message>
        <source>%1 setup fee</source>
        <translation>%1 Einrichtungsgebühr</translation>
    </message>
    <message>
        <source>minimum charge %1</source>
        <translation>Mindestgebühr %1</translation>
    </message>
    <message>
        <source>times in %1</source>
        <translation>Zeiten in %1</translation>
    </message>
</context>
<context>
    <name>records</name>
    <message>
        <source>Stopped</source>
        <translation>Gestoppt</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>Fertig</translation>
    </message>
    <message>
        <source>Balance ran out</source>
        <translation>Guthaben aufgebraucht</translation>
    </message>
    <message>
        <source>Spending limit reached</source>
        <translation>Ausgabenlimit erreicht</translation>
    </message>
    <message>
        <source>Gateway closed or refused</source>
        <translation>Vom Gateway beendet oder abgelehnt</translation>
    </message>
    <message>
        <source>Failed, not charged</source>
        <translation>Fehlgeschlagen, nicht berechnet</translation>
    </message>
    <message>
        <source>App error</source>
        <translation>Anwendungsfehler</translation>
    </message>
    <message>
        <source>No news from device</source>
        <translation>Keine Nachricht vom Gerät</translation>
    </message>
    <message>
        <source>Account suspended</source>
        <translation>Konto gesperrt</translation>
    </message>
    <message>
        <source>Ended by support</source>
        <translation>Vom Support beendet</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Dienst</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>Genutzt</translation>
    </message>
    <message>
        <source>Billed</source>
        <translation>Abgerechnet</translation>
    </message>
    <message>
        <source>Charged</source>
        <translation>Berechnet</translation>
    </message>
    <message>
        <source>Ended because</source>
        <translation>Beendet, weil</translation>
    </message>
    <message>
        <source>Record</source>
        <translation>Datensatz</translation>
    </message>
    <message>
        <source>Charge</source>
        <translation>Gebühr</translation>
    </message>
    <message>
        <source>Top-up</source>
        <translation>Aufladung</translation>
    </message>
    <message>
        <source>Adjustment</source>
        <translation>Korrektur</translation>
    </message>
    <message>
        <source>Opening balance</source>
        <translation>Anfangsguthaben</translation>
    </message>
    <message>
        <source>Refund</source>
        <translation>Erstattung</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Wann</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Beschreibung</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Betrag</translation>
    </message>
    <message>
        <source>Balance after</source>
        <translation>Guthaben danach</translation>
    </message>
</context>
<context>
    <name>support</name>
    <message>
        <source>Active</source>
        <translation>Aktiv</translation>
    </message>
    <message>
        <source>Suspended</source>
        <translation>Gesperrt</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>Ausstehend</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <source>Postpaid</source>
        <translation>Nachträglich abgerechnet</translation>
    </message>
    <message>
        <source>Prepaid</source>
        <translation>Vorausbezahlt</translation>
    </message>
    <message>
        <source>Logins</source>
        <translation>Anmeldenamen</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Nutzer</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Dienst</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <source>Used</source>
        <translation>Genutzt</translation>
    </message>
    <message>
        <source>Charge</source>
        <translation>Gebühr</translation>
    </message>
    <message>
        <source>Rate</source>
        <translation>Preis</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Endpunkt</translation>
    </message>
    <message>
        <source>direct</source>
        <translation>direkt</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Gestartet</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Wann</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Wer</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Server</translation>
    </message>
</context>
</TS>
