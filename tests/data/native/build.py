"""Writes the councils' native workbooks of the layout tests (the CSV files are kept as they are).

Each folder here is one shape of council spreadsheet, made up for the tests and modelled on
what councils publish: ``wide`` (one sheet, quarters as columns), ``per_quarter`` (one file
per quarter, actions and indicators in two files), ``one_sheet`` (actions and indicators in
one sheet, told apart by a column), ``titled`` (title rows above the header and notes below),
``monthly`` (monthly figures, a column a month), ``monthly_rows`` (the same figures, a row a
month, made from ``monthly``'s file) and ``officer`` (the officer's status only). Each has
the council's files, its ``layout.yaml`` and ``params.yaml``, and ``contract/``: the same
data written by hand in perfkit's five tables, with ``contract.yaml`` to render it.

Run ``python tests/data/native/build.py`` to write the workbooks again.
"""

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def wide() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "KPIs 2023-24"
    sheet.append(["Committee", "Performance Indicator", "Target", "Q1 Actual", "Q2 Actual",
                  "Q3 Actual", "Q4 Actual", "Status", "Comments (where targets have been missed)"])
    rows = [
        ["Environment", "% of household waste recycled", 0.5, 0.48, 0.512, None, None, "Green", None],
        ["Environment", "% of sites falling below the cleanliness standard", "8%", "3.1%", "2.75%",
         None, None, "Red", "A good quarter for street cleansing."],
        ["Housing", "Average days to relet council homes", "30 days", "34 days", "28 days", None,
         None, "Green", None],
        ["Housing", "Number of households in temporary accommodation", "Data only", 120, 131,
         None, None, None, None],
        ["Resources", "% of Council Tax collected", "56%", "28.1%", "55.9%", None, None, "Amber",
         "Slightly behind the profile after the summer."],
        ["Resources", "Invoices paid within 30 days", "95%", "93%", "90%", None, None, "Red",
         "The new finance system held up payments in August."],
    ]
    for row in rows:
        sheet.append(row)
    for cell in ("C2", "D2", "E2"):
        sheet[cell].number_format = "0.0%"
    book.save(HERE / "wide" / "Performance 2023-24.xlsx")


def one_sheet() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Delivery Plan"
    sheet.append(["Theme", "Type", "Ref", "Description", "Target", "Q3 Value", "RAG", "Update"])
    rows = [
        ["A Greener Borough", "Action", "GB01", "Adopt the Climate Action Plan", None, None, "C",
         "Adopted by Council in October."],
        ["A Greener Borough", "Action", "GB02", "Plant 2,000 street trees", None, None, "A",
         "1,200 planted; the rest wait for the planting season."],
        ["A Greener Borough", "Indicator", "GB-PI1", "Tonnes of CO2 from council buildings",
         "Below 1,800", "1,750", None, None],
        ["Thriving Communities", "Action", "TC01", "Open the new community hub", None, None, "G",
         "On schedule for March."],
        ["Thriving Communities", "Action", "TC02", "Review the grants scheme", None, None, "R",
         "Paused while the budget is set."],
        ["Thriving Communities", "KPI", "TC-PI1", "Visits to leisure centres", "90,000", "84,000",
         None, "Down on last year after the pool closure."],
        ["Thriving Communities", "KPI", "TC-PI2", "% of residents satisfied with their area",
         "Annual survey", "Annual update", None, None],
    ]
    for row in rows:
        sheet.append(row)
    book.save(HERE / "one_sheet" / "Delivery Plan 2023-24 Q3.xlsx")


def titled() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Q4"
    sheet.append(["Test Borough Council"])
    sheet.append(["Corporate Plan performance: quarter 4 2023/24"])
    sheet.append([])
    sheet.append(["Priority", "Measure", "Polarity", "Target", "Outturn", "RAG", "Commentary"])
    rows = [
        ["Economy", "New businesses supported", "Higher", "120", "131", "Green", None],
        ["Economy", "Vacant town centre units", "Lower", "15%", "17%", "Red",
         "Two large units closed in January."],
        ["Health", "Adults physically active", "Higher", "65%", "63%", "Amber",
         "Close to the target."],
        ["Health", "Households prevented from homelessness", "Higher", "400", "412", "Green", None],
    ]
    for row in rows:
        sheet.append(row)
    sheet.append([])
    sheet.append(["Notes:"])
    sheet.append(["1. Outturn figures are provisional until the statement of accounts."])
    sheet.append(["2. RAG is set by the service's head."])
    book.save(HERE / "titled" / "Corporate Plan Q4 2023-24.xlsx")


if __name__ == "__main__":
    wide()
    one_sheet()
    titled()
